// Trial logs through the coordinator's handlers, without sockets: chunks in
// a worker's ReportMetrics are kept only from the worker holding the lease,
// at most 32 a report; GetTrialLogs reads them from an offset and refuses
// bad requests clearly.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "coordinator/client_handler.h"
#include "coordinator/worker_handler.h"
#include "store/store.h"
#include "tests/coordinator/handler_test_fixture.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using std::chrono::milliseconds;
using ::ltsweep::testing::TempDir;

class TrialLogsHandlerTest : public HandlerTest {
 protected:
  void SetUp() override {
    options_.lease_ttl = milliseconds(2000);
    options_.heartbeat_interval = milliseconds(500);
    ASSERT_NO_FATAL_FAILURE(OpenHandlers());
    v1::SubmitSweepRequest submit;
    submit.set_spec_yaml("name: logs\nconfig:\n  train: {epochs: 3}\nseeds: [0]\n");
    submit.set_source_name("logs.yaml");
    v1::SubmitSweepResponse submitted;
    ASSERT_OK(clients_->SubmitSweep(submit, &submitted));
    for (const char* host : {"a", "b"}) {
      v1::RegisterRequest req;
      req.set_host(host);
      req.set_slots(1);
      v1::RegisterResponse resp;
      ASSERT_OK(workers_->Register(req, &resp));
      ids_.push_back(resp.worker_id());
    }
    v1::LeaseRequest req;
    req.set_worker_id(ids_[0]);
    ASSERT_OK(workers_->Lease(req, &lease_));
    ASSERT_TRUE(lease_.granted());
  }

  v1::ReportMetricsRequest Report(const std::string& worker, int chunks) {
    v1::ReportMetricsRequest req;
    req.set_worker_id(worker);
    req.mutable_lease()->set_trial_id(lease_.trial_id());
    req.mutable_lease()->set_attempt(lease_.attempt());
    req.mutable_lease()->set_token(lease_.token());
    for (int i = 0; i < chunks; ++i) {
      v1::LogChunk* c = req.add_log_chunks();
      c->set_offset(i * 6);
      c->set_text("line " + std::to_string(i % 10));
    }
    return req;
  }

  StatusOr<v1::GetTrialLogsResponse> Read(int64_t from, int attempt = 0, int64_t max_bytes = 0) {
    v1::GetTrialLogsRequest req;
    req.set_trial_id(lease_.trial_id());
    req.set_attempt(attempt);
    req.set_from_offset(from);
    req.set_max_bytes(max_bytes);
    v1::GetTrialLogsResponse resp;
    LTSWEEP_RETURN_IF_ERROR(clients_->GetTrialLogs(req, &resp));
    return resp;
  }

  std::vector<std::string> ids_;
  v1::LeaseResponse lease_;
};

TEST_F(TrialLogsHandlerTest, OnlyTheLeaseHolderAppendsAndReadersGetTextFromAnOffset) {
  v1::ReportMetricsResponse resp;
  ASSERT_OK(workers_->ReportMetrics(Report(ids_[0], 2), &resp));
  // Another worker with the right token is refused, and writes nothing.
  v1::ReportMetricsRequest other = Report(ids_[1], 3);
  other.mutable_log_chunks(2)->set_text("intruder");
  EXPECT_EQ(workers_->ReportMetrics(other, &resp).code(), StatusCode::kFailedPrecondition);

  auto log = Read(0);
  ASSERT_OK(log);
  EXPECT_EQ(log->text(), "line 0line 1");
  EXPECT_EQ(log->attempt(), 1);
  EXPECT_EQ(log->attempt_state(), "running");
  EXPECT_FALSE(log->finished());
  EXPECT_EQ(log->next_offset(), 12);
  EXPECT_EQ(log->end_offset(), 12);
  log = Read(6, 1, 3);
  ASSERT_OK(log);
  EXPECT_EQ(log->text(), "lin");
  EXPECT_EQ(log->next_offset(), 9);
}

TEST_F(TrialLogsHandlerTest, RefusesTooManyChunksAndBadReads) {
  v1::ReportMetricsResponse resp;
  Status many = workers_->ReportMetrics(Report(ids_[0], 33), &resp);
  EXPECT_EQ(many.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(many.message().find("33 chunks, at most 32"), std::string::npos) << many.message();
  ASSERT_OK(workers_->ReportMetrics(Report(ids_[0], 32), &resp));
  EXPECT_EQ(Read(0)->end_offset(), 32 * 6);

  EXPECT_EQ(Read(-1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Read(0, -1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Read(0, 0, (int64_t{4} << 20) + 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Read(0, 2).status().code(), StatusCode::kNotFound);
  auto past = Read(32 * 6 + 1);
  EXPECT_EQ(past.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(past.status().message().find("past the end of the log (192 bytes)"), std::string::npos)
      << past.status().message();
}

}  // namespace
}  // namespace ltsweep::coordinator
