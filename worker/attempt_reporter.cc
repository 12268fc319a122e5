#include "worker/attempt_reporter.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace ltsweep::worker {

using Ms = std::chrono::milliseconds;

AttemptReporter::AttemptReporter(CoordinatorClient& client, Outbox& outbox, WorkerSession& session, Clock* clock,
                                 std::chrono::milliseconds grace)
    : client_(client), outbox_(outbox), session_(session), clock_(clock), grace_(grace) {}

SendResult AttemptReporter::SendOne(const v1::ReportMetricsRequest& batch, ActiveLease& lease) {
  auto reply = client_.ReportMetrics(batch);
  if (reply.ok()) {
    session_.NoteReachable(true, reply.status());
    if (reply->stop()) RequestEarlyStop(lease, reply->stop_reason(), session_);
    if (reply->rows_rejected() > 0) {
      rejected_rows_ += static_cast<uint64_t>(reply->rows_rejected());
      session_.Log(fmt::format("trial {}: {} of {} rows rejected by the coordinator: {}", lease.trial_id(),
                               reply->rows_rejected(), batch.rows_size(), reply->first_rejection()));
    }
    return SendResult::kOk;
  }
  const Status& s = reply.status();
  switch (ClassifyRpcError(s)) {
    case RpcFailure::kLeaseGone:
      MarkLeaseGone(lease, "metrics refused: " + s.message(), session_);
      return SendResult::kGone;
    case RpcFailure::kRefused:
      ++refused_batches_;
      refused_rows_ += static_cast<uint64_t>(batch.rows_size());
      session_.Log(fmt::format("trial {}: a metric batch of {} rows was refused and dropped: {}", lease.trial_id(),
                               batch.rows_size() + batch.payloads_size(), DescribeRpcError(s)));
      return SendResult::kOk;
    case RpcFailure::kTransient:
      break;
  }
  session_.NoteReachable(false, s);
  return SendResult::kPending;
}

SendResult AttemptReporter::Drain(ActiveLease& lease) {
  while (auto batch = outbox_.Front(lease.trial_id(), lease.token())) {
    SendResult r = SendOne(*batch, lease);
    if (r == SendResult::kPending) return r;
    if (r == SendResult::kGone) {
      outbox_.Drop(lease.trial_id(), lease.token());
      return r;
    }
    outbox_.Pop(lease.trial_id(), lease.token());
  }
  return SendResult::kOk;
}

bool AttemptReporter::HasBuffered(const ActiveLease& lease) {
  return !outbox_.Empty(lease.trial_id(), lease.token());
}

void AttemptReporter::Drop(const ActiveLease& lease) { outbox_.Drop(lease.trial_id(), lease.token()); }

void AttemptReporter::Buffer(const v1::ReportMetricsRequest& batch) {
  Status st = outbox_.Push(batch);
  if (st.ok()) return;
  ++unbuffered_batches_;
  session_.Log(fmt::format("trial {}: cannot buffer a metric batch of {} rows, dropped: {}", batch.lease().trial_id(),
                           batch.rows_size(), st.ToString()));
}

SendResult AttemptReporter::Flush(v1::ReportMetricsRequest& batch, ActiveLease& lease) {
  if (batch.rows_size() == 0 && batch.payloads_size() == 0 && batch.log_chunks_size() == 0) return SendResult::kOk;
  const bool gone = lease.gone();
  SendResult r = SendResult::kGone;  // a gone lease's batch is discarded
  if (!gone && outbox_.Empty(lease.trial_id(), lease.token())) {
    r = SendOne(batch, lease);
    if (r == SendResult::kPending) Buffer(batch);
  } else if (!gone) {
    Buffer(batch);  // behind earlier unsent batches, which go first
    r = Drain(lease);
  }
  batch.clear_rows();
  batch.clear_payloads();
  batch.clear_runtime();
  batch.clear_log_chunks();
  return r;
}

AttemptReporter::FinishTry AttemptReporter::TryFinish(ActiveLease& lease, const v1::FinishAttemptRequest& finish) {
  auto reply = client_.FinishAttempt(finish);
  if (reply.ok()) {
    session_.NoteReachable(true, reply.status());
    session_.Log(fmt::format("trial {} attempt {} finished: {}{}{} -> {}", lease.trial_id(), lease.attempt(),
                             v1::AttemptOutcome_Name(finish.outcome()), finish.error().empty() ? "" : ": ",
                             finish.error().substr(0, 200), reply->trial_state()));
    return FinishTry::kAccepted;
  }
  if (!IsTransient(reply.status())) {
    session_.Log(fmt::format("trial {} attempt {}: finish refused: {}; dropped", lease.trial_id(), lease.attempt(),
                             DescribeRpcError(reply.status())));
    outbox_.Drop(lease.trial_id(), lease.token(), "its finish was refused");
    return FinishTry::kDropped;
  }
  session_.NoteReachable(false, reply.status());
  return FinishTry::kRetry;
}

bool AttemptReporter::Finish(ActiveLease& lease, const v1::FinishAttemptRequest& finish) {
  Backoff backoff = session_.MakeBackoff();
  const int64_t give_up_at = clock_->NowMillis() + grace_.count();
  while (true) {
    SendResult r = lease.gone() ? SendResult::kGone : Drain(lease);
    if (r == SendResult::kGone) {
      session_.Log(fmt::format("trial {} attempt {}: lease gone before the finish was reported; dropped",
                               lease.trial_id(), lease.attempt()));
      return false;
    }
    if (r == SendResult::kOk) {
      const FinishTry tried = TryFinish(lease, finish);
      if (tried != FinishTry::kRetry) return tried == FinishTry::kAccepted;
    }
    if (session_.stopping() && clock_->NowMillis() >= give_up_at) {
      session_.Log(fmt::format("trial {} attempt {}: coordinator unreachable while shutting down; its lease will expire",
                               lease.trial_id(), lease.attempt()));
      return false;
    }
    const Ms delay(backoff.NextDelayMs());
    // Not WaitFor: reporting continues while stopping, until the give-up time.
    std::this_thread::sleep_for(std::min(delay, Ms(std::max<int64_t>(1, grace_.count()))));
  }
}

void AttemptReporter::DrainLeftovers() {
  for (const v1::LeaseRef& ref : outbox_.Leases()) {
    ActiveLease lease(ref.trial_id(), ref.attempt(), ref.token());
    SendResult r = Drain(lease);
    session_.Log(fmt::format("resent batches of trial {} attempt {} left by an earlier run: {}", lease.trial_id(),
                             lease.attempt(),
                             r == SendResult::kOk     ? "delivered"
                             : r == SendResult::kGone ? "lease gone, dropped"
                                                      : "still pending"));
  }
}

}  // namespace ltsweep::worker

namespace ltsweep::worker {

std::string AttemptReporter::DropSummary() {
  const OutboxDrops drops = outbox_.drops();
  const uint64_t refused = refused_batches_, refused_rows = refused_rows_, rejected = rejected_rows_,
                 unbuffered = unbuffered_batches_;
  if (drops.over_bound + drops.lease_gone + drops.unreadable + refused + rejected + unbuffered == 0) {
    return "dropped metrics this run: none";
  }
  return fmt::format(
      "dropped metrics this run: {} batches past the outbox bound, {} batches of gone leases, {} unreadable outbox "
      "files, {} batches the outbox could not write, {} batches ({} rows) refused, {} rows rejected",
      drops.over_bound, drops.lease_gone, drops.unreadable, unbuffered, refused, refused_rows, rejected);
}

}  // namespace ltsweep::worker
