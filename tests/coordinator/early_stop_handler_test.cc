// Early termination in the coordinator's handlers, without transport, on a
// real SQLite file: a report crossing a rung is judged, the verdict comes
// back in the ReportMetrics reply and in heartbeats, STOPPED ends the trial
// 'stopped', and sweeps without early_terminate are never judged.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

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

// Three trials, 9 epochs, rungs at 1 and 3 epochs (top 1/3 carries on).
constexpr char kHyperband[] = R"(name: asha
config:
  data: {dataset: synthetic}
  train: {epochs: 9}
parameters:
  train.lr: {values: [0.1, 0.2, 0.3]}
early_terminate: {type: hyperband, min_iter: 1, eta: 3}
)";

class EarlyStopHandlerTest : public HandlerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(OpenHandlers());
    v1::RegisterRequest reg;
    reg.set_host("h");
    reg.set_slots(3);
    v1::RegisterResponse resp;
    ASSERT_OK(workers_->Register(reg, &resp));
    worker_ = resp.worker_id();
  }

  void Submit(const std::string& yaml) {
    v1::SubmitSweepRequest req;
    req.set_spec_yaml(yaml);
    req.set_source_name("asha.yaml");
    v1::SubmitSweepResponse resp;
    ASSERT_OK(clients_->SubmitSweep(req, &resp));
  }

  v1::LeaseResponse Lease() {
    v1::LeaseRequest req;
    req.set_worker_id(worker_);
    v1::LeaseResponse resp;
    EXPECT_OK(workers_->Lease(req, &resp));
    EXPECT_TRUE(resp.granted());
    return resp;
  }

  static v1::LeaseRef Ref(const v1::LeaseResponse& l) {
    v1::LeaseRef ref;
    ref.set_trial_id(l.trial_id());
    ref.set_attempt(l.attempt());
    ref.set_token(l.token());
    return ref;
  }

  v1::ReportMetricsResponse Report(const v1::LeaseResponse& l, int epoch, double val_error) {
    v1::ReportMetricsRequest req;
    req.set_worker_id(worker_);
    *req.mutable_lease() = Ref(l);
    auto* r = req.add_rows();
    r->set_epoch(epoch);
    r->set_name("val_error");
    r->set_value(val_error);
    r->set_class_index(-1);
    v1::ReportMetricsResponse resp;
    EXPECT_OK(workers_->ReportMetrics(req, &resp));
    return resp;
  }

  std::string worker_;
};

TEST_F(EarlyStopHandlerTest, ARungVerdictReachesTheWorkerAndEndsTheTrialStopped) {
  Submit(kHyperband);
  const v1::LeaseResponse a = Lease(), b = Lease(), c = Lease();
  EXPECT_FALSE(Report(a, 0, 0.30).stop()) << "the first at a rung carries on";
  const v1::ReportMetricsResponse rb = Report(b, 0, 0.50);  // 2nd of 2, keep 1
  EXPECT_TRUE(rb.stop());
  EXPECT_NE(rb.stop_reason().find("rung 0 (1 epochs): 0.5 ranks 2 of 2"), std::string::npos) << rb.stop_reason();
  EXPECT_FALSE(Report(c, 0, 0.20).stop()) << "the new best";
  EXPECT_FALSE(Report(a, 1, 0.25).stop()) << "no rung at 2 epochs";

  // Heartbeats carry the verdict too (a lost report reply loses nothing).
  v1::HeartbeatRequest hb;
  hb.set_worker_id(worker_);
  *hb.add_leases() = Ref(a);
  *hb.add_leases() = Ref(b);
  v1::HeartbeatResponse hr;
  ASSERT_OK(workers_->Heartbeat(hb, &hr));
  ASSERT_EQ(hr.leases_size(), 2);
  EXPECT_FALSE(hr.leases(0).stop());
  EXPECT_TRUE(hr.leases(1).alive());
  EXPECT_TRUE(hr.leases(1).stop());

  // A trial nobody decided to stop cannot finish STOPPED; b can.
  v1::FinishAttemptRequest fin;
  fin.set_worker_id(worker_);
  *fin.mutable_lease() = Ref(a);
  fin.set_outcome(v1::STOPPED);
  fin.set_exit_code(4);
  v1::FinishAttemptResponse fr;
  EXPECT_EQ(workers_->FinishAttempt(fin, &fr).code(), StatusCode::kFailedPrecondition);
  *fin.mutable_lease() = Ref(b);
  fin.set_error("stopped early: " + rb.stop_reason());
  ASSERT_OK(workers_->FinishAttempt(fin, &fr));
  EXPECT_EQ(fr.trial_state(), "stopped");
  EXPECT_FALSE(fr.requeued());

  auto history = store_->GetTrialHistory(b.trial_id());
  ASSERT_OK(history);
  ASSERT_EQ(history->early_stop.size(), 1u);
  EXPECT_TRUE(history->early_stop[0].stop);
  EXPECT_EQ(history->early_stop[0].compared, 2);
  v1::ListTrialsRequest lt;
  lt.set_trial_id(b.trial_id());
  v1::ListTrialsResponse lr;
  ASSERT_OK(clients_->ListTrials(lt, &lr));
  ASSERT_EQ(lr.trials(0).early_stop_size(), 1);
  EXPECT_TRUE(lr.trials(0).early_stop(0).stop());
  v1::GetSweepRequest gs;
  gs.set_sweep_id(a.sweep_id());
  v1::SweepInfo info;
  ASSERT_OK(clients_->GetSweep(gs, &info));
  EXPECT_EQ(info.trials_stopped(), 1);
  bool logged = false;
  for (const auto& line : log_) logged = logged || line.find("stopped early on worker") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(EarlyStopHandlerTest, SweepsWithoutEarlyTerminateAreNeverJudged) {
  std::string plain = kHyperband;
  plain.erase(plain.find("early_terminate"));
  Submit(plain);
  const v1::LeaseResponse a = Lease(), b = Lease();
  EXPECT_FALSE(Report(a, 0, 0.3).stop());
  EXPECT_FALSE(Report(b, 0, 0.9).stop());
  auto history = store_->GetTrialHistory(b.trial_id());
  ASSERT_OK(history);
  EXPECT_TRUE(history->early_stop.empty());
}

}  // namespace
}  // namespace ltsweep::coordinator
