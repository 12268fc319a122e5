// The worker's side of early termination: a stop in a heartbeat or report
// reply marks the lease, DecideStop stops the trainer for it, and the
// attempt finishes STOPPED (unless it succeeded or failed for good).
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/trainer_contract.h"
#include "worker/attempt_rules.h"
#include "worker/heartbeat_loop.h"
#include "worker/lease_table.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {
namespace {

contract::TrainerExit Exited(int code, bool asked_to_stop) {
  contract::TrainerExit exit;
  exit.code = code;
  exit.asked_to_stop = asked_to_stop;
  return exit;
}

TEST(EarlyStopRulesTest, AStopInAHeartbeatMarksTheLeaseOnceAndKeepsItAlive) {
  std::vector<std::string> log;
  WorkerSession session([&log](const std::string& line) { log.push_back(line); }, BackoffOptions{}, 1);
  auto a = std::make_shared<ActiveLease>(1, 1, "t1");
  auto b = std::make_shared<ActiveLease>(2, 1, "t2");
  v1::HeartbeatResponse response;
  auto* stop = response.add_leases();
  stop->set_trial_id(1);
  stop->set_token("t1");
  stop->set_alive(true);
  stop->set_stop(true);
  auto* keep = response.add_leases();
  keep->set_trial_id(2);
  keep->set_token("t2");
  keep->set_alive(true);
  ApplyHeartbeatResponse(response, {a, b}, session, 5'000);
  ApplyHeartbeatResponse(response, {a, b}, session, 6'000);
  EXPECT_TRUE(a->stop_requested());
  EXPECT_FALSE(a->gone()) << "stopping early is not losing the lease: the finish must reach the coordinator";
  EXPECT_EQ(a->renewed_ms(), 6'000);
  EXPECT_FALSE(b->stop_requested());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("trial 1 attempt 1: stopped early by the coordinator"), std::string::npos) << log[0];
}

TEST(EarlyStopRulesTest, DecideStopSaysWhyAfterALostLeaseAndBeforeShutdown) {
  WatchState s;
  s.early_stop = true;
  s.early_stop_reason = "rung 0 (1 epochs): 1.35 ranks 3 of 3";
  StopDecision d = DecideStop(s);
  EXPECT_EQ(d.reason, StopReason::kEarlyStop);
  EXPECT_EQ(d.message, "stopped early: rung 0 (1 epochs): 1.35 ranks 3 of 3");
  s.stopping = true;  // the trial ends for good rather than being requeued
  EXPECT_EQ(DecideStop(s).reason, StopReason::kEarlyStop);
  s.lease_gone = true;
  EXPECT_EQ(DecideStop(s).reason, StopReason::kLeaseGone);
}

TEST(EarlyStopRulesTest, AnEarlyStopFinishesStoppedUnlessTheTrialSucceededOrFailedForGood) {
  const StopDecision stop{StopReason::kEarlyStop, "stopped early: rung 0"};
  FinishPlan plan = PlanFinish(Exited(contract::kExitInterrupted, true), "", "", false, stop);
  EXPECT_EQ(plan.outcome, v1::STOPPED);
  EXPECT_EQ(plan.error, "stopped early: rung 0");
  EXPECT_EQ(plan.exit_code, contract::kExitInterrupted);
  contract::TrainerExit killed;
  killed.signaled = true;
  killed.signal = 9;
  killed.asked_to_stop = true;
  EXPECT_EQ(PlanFinish(killed, "", "", false, stop).outcome, v1::STOPPED) << "SIGKILL after the grace period";
  EXPECT_EQ(PlanFinish(Exited(0, true), R"({"event":"done"})", "", false, stop).outcome, v1::SUCCEEDED);
  EXPECT_EQ(PlanFinish(Exited(2, true), "", "bad", false, stop).outcome, v1::FAILED_PERMANENT);
  EXPECT_TRUE(PlanFinish(Exited(4, true), "", "", /*lease_gone=*/true, stop).drop);
}

}  // namespace
}  // namespace ltsweep::worker
