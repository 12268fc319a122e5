// The worker's pure rules: what a trainer exit becomes in FinishAttempt
// (worker/attempt_rules.h), when work is dropped, how the trainer is started
// (worker/trainer_command.h), and which leases a heartbeat marks gone
// (worker/heartbeat_loop.h). No processes, no sockets.
#include <gtest/gtest.h>

#include "common/trainer_contract.h"
#include "worker/attempt_rules.h"
#include "worker/heartbeat_loop.h"
#include "worker/lease_table.h"
#include "worker/trainer_command.h"
#include "worker/worker_session.h"

namespace ltsweep::worker {
namespace {

contract::TrainerExit Exited(int code, bool asked_to_stop = false) {
  contract::TrainerExit exit;
  exit.code = code;
  exit.asked_to_stop = asked_to_stop;
  return exit;
}

contract::TrainerExit Killed(int signal) {
  contract::TrainerExit exit;
  exit.signaled = true;
  exit.signal = signal;
  return exit;
}

const char kDone[] = R"({"event":"done","best_val_error":0.2})";

TEST(PlanFinishTest, ExitZeroWithADoneEventSucceedsWithTheDoneEventAsResult) {
  const FinishPlan plan = PlanFinish(Exited(0), kDone, "some progress", false);
  EXPECT_FALSE(plan.drop);
  EXPECT_EQ(plan.outcome, v1::SUCCEEDED);
  EXPECT_EQ(plan.result_json, kDone);
  EXPECT_EQ(plan.error, "");
  EXPECT_EQ(plan.exit_code, 0);
}

TEST(PlanFinishTest, ExitZeroWithoutADoneEventIsRetryableWithTheTail) {
  FinishPlan plan = PlanFinish(Exited(0), "", "last words", false);
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error, "trainer exited 0 without a done event: last words");
  EXPECT_EQ(plan.result_json, "");
  // saw_done comes from the done line, whatever the caller set.
  contract::TrainerExit claims_done = Exited(0);
  claims_done.saw_done = true;
  plan = PlanFinish(claims_done, "", "", false);
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error, "trainer exited 0 without a done event");
}

TEST(PlanFinishTest, InvalidConfigAndUnusableDataArePermanentWithTheTrainersMessage) {
  for (int code : {contract::kExitInvalidConfig, contract::kExitUnusableData}) {
    FinishPlan plan = PlanFinish(Exited(code), "", "invalid config: train.lr must be > 0", false);
    EXPECT_EQ(plan.outcome, v1::FAILED_PERMANENT) << code;
    EXPECT_EQ(plan.error, "invalid config: train.lr must be > 0") << code;
    EXPECT_EQ(plan.exit_code, code);
    plan = PlanFinish(Exited(code), "", "", false);
    EXPECT_EQ(plan.outcome, v1::FAILED_PERMANENT) << code;
    EXPECT_EQ(plan.error, "trainer exit status " + std::to_string(code) + " with no message");
  }
}

TEST(PlanFinishTest, ExitFourAfterTheWorkersSigtermIsInterrupted) {
  const FinishPlan plan =
      PlanFinish(Exited(contract::kExitInterrupted, /*asked_to_stop=*/true), "", "interrupted after epoch 2", false);
  EXPECT_EQ(plan.outcome, v1::INTERRUPTED);
  EXPECT_EQ(plan.error, "interrupted: the worker is shutting down");
  EXPECT_EQ(plan.exit_code, contract::kExitInterrupted);
}

TEST(PlanFinishTest, ExitFourWithoutBeingAskedCountsLikeACrash) {
  const FinishPlan plan =
      PlanFinish(Exited(contract::kExitInterrupted, /*asked_to_stop=*/false), "", "interrupted after epoch 2", false);
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error, "trainer exited 4 (interrupted) without being asked to stop");
  EXPECT_EQ(plan.exit_code, contract::kExitInterrupted);
}

TEST(PlanFinishTest, CrashesAndSignalsAreRetryableWithTheTail) {
  FinishPlan plan = PlanFinish(Exited(contract::kExitCrash), "", "Segmentation fault", false);
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error, "trainer crashed: exit status 1: Segmentation fault");
  EXPECT_EQ(plan.exit_code, 1);

  plan = PlanFinish(Exited(134), "", "", false);
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error, "trainer crashed: exit status 134");

  plan = PlanFinish(Killed(9), kDone, "oom", false);  // a done line does not rescue a killed trainer
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error.rfind("trainer crashed: killed by signal 9", 0), 0u) << plan.error;
  EXPECT_NE(plan.error.find(": oom"), std::string::npos) << plan.error;
  EXPECT_EQ(plan.exit_code, -9);
}

TEST(PlanFinishTest, CannotRunHereIsRetryableLikeACrashForNow) {
  const FinishPlan plan = PlanFinish(Exited(contract::kExitCannotRunHere), "", "no CUDA device", false);
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error, "this machine cannot run the trial: exit status 5: no CUDA device");
  EXPECT_EQ(plan.exit_code, contract::kExitCannotRunHere);
}

TEST(PlanFinishTest, AGoneLeaseIsDroppedWhateverTheExit) {
  for (const contract::TrainerExit& exit :
       {Exited(0), Exited(2), Exited(contract::kExitInterrupted, true), Exited(1), Killed(9)}) {
    const FinishPlan plan = PlanFinish(exit, kDone, "tail", /*lease_gone=*/true);
    EXPECT_TRUE(plan.drop) << contract::DescribeExit(exit);
  }
  EXPECT_FALSE(PlanFinish(Exited(0), kDone, "", false).drop);
}

TEST(PlanFinishTest, SpawnFailureAndHandBack) {
  FinishPlan plan = PlanSpawnFailure("fork: out of memory");
  EXPECT_FALSE(plan.drop);
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error, "cannot start the trainer: fork: out of memory");
  EXPECT_EQ(plan.exit_code, -1);

  plan = PlanHandBack();
  EXPECT_FALSE(plan.drop);
  EXPECT_EQ(plan.outcome, v1::INTERRUPTED);
  EXPECT_EQ(plan.error, "interrupted: the worker is shutting down");
}

TEST(PlanFinishTest, TheTrainerIsStoppedWhenTheLeaseIsGoneOrTheWorkerStops) {
  EXPECT_FALSE(ShouldStopTrainer(false, false));
  EXPECT_TRUE(ShouldStopTrainer(true, false));
  EXPECT_TRUE(ShouldStopTrainer(false, true));
  EXPECT_TRUE(ShouldStopTrainer(true, true));
}

TEST(PlanFinishTest, FinishRequestCarriesThePlanAndTheLease) {
  v1::LeaseRef lease;
  lease.set_trial_id(7);
  lease.set_attempt(2);
  lease.set_token("tok");
  const v1::FinishAttemptRequest r =
      MakeFinishRequest("w-1", lease, PlanFinish(Exited(contract::kExitCrash), "", "boom", false));
  EXPECT_EQ(r.worker_id(), "w-1");
  EXPECT_EQ(r.lease().trial_id(), 7);
  EXPECT_EQ(r.lease().attempt(), 2);
  EXPECT_EQ(r.lease().token(), "tok");
  EXPECT_EQ(r.outcome(), v1::FAILED_RETRYABLE);
  EXPECT_EQ(r.error(), "trainer crashed: exit status 1: boom");
  EXPECT_EQ(r.exit_code(), 1);
}

TEST(TrainerCommandTest, CpuSlotGetsNoGpuAndACheckpointDirWhenGiven) {
  TrainerInvocation inv;
  inv.trainer = "/bin/train";
  inv.config_path = "/w/trial-3-a1/config.json";
  inv.threads = 4;
  inv.checkpoint_dir = "/ckpt/3-abc";
  inv.stderr_log_path = "/w/trial-3-a1/stderr.log";
  const SpawnOptions spawn = MakeSpawnOptions(inv);
  EXPECT_EQ(spawn.path, "/bin/train");
  EXPECT_EQ(spawn.args, (std::vector<std::string>{"--config", "/w/trial-3-a1/config.json", "--threads", "4",
                                                  "--device", "cpu", "--checkpoint-dir", "/ckpt/3-abc", "--resume"}));
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(spawn.env, (Env{{"CUDA_VISIBLE_DEVICES", ""}, {"OMP_NUM_THREADS", "4"}}));
  EXPECT_EQ(spawn.stderr_log_path, "/w/trial-3-a1/stderr.log");
}

TEST(TrainerCommandTest, GpuSlotGetsItsGpuAndNoCheckpointsWithoutARoot) {
  TrainerInvocation inv;
  inv.trainer = "t";
  inv.config_path = "c.json";
  inv.threads = 2;
  inv.gpu = SlotGpu({0, 3}, 3);
  const SpawnOptions spawn = MakeSpawnOptions(inv);
  EXPECT_EQ(spawn.args, (std::vector<std::string>{"--config", "c.json", "--threads", "2", "--device", "cuda"}));
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(spawn.env, (Env{{"CUDA_VISIBLE_DEVICES", "3"}, {"OMP_NUM_THREADS", "2"}}));
}

TEST(TrainerCommandTest, SlotsGpusAndNames) {
  EXPECT_EQ(SlotGpu({}, 0), std::nullopt);
  EXPECT_EQ(SlotGpu({4, 5}, 0), 4);
  EXPECT_EQ(SlotGpu({4, 5}, 3), 5);
  EXPECT_EQ(CheckpointName(12, ""), "12");
  EXPECT_EQ(CheckpointName(12, "0123456789abcdef0123"), "12-0123456789abcdef");
  EXPECT_EQ(AttemptDirName(12, 3), "trial-12-a3");
}

TEST(LeaseTest, AHeartbeatMarksGoneOnlyTheDeadLeaseWithItsTokenAndLogsOnce) {
  std::vector<std::string> log;
  WorkerSession session([&log](const std::string& line) { log.push_back(line); }, BackoffOptions{}, 1);
  auto a = std::make_shared<ActiveLease>(1, 1, "t1");
  auto b = std::make_shared<ActiveLease>(2, 1, "t2");
  LeaseTable table;
  table.Put(0, a);
  table.Put(1, b);
  v1::HeartbeatResponse response;
  auto* alive = response.add_leases();
  alive->set_trial_id(1);
  alive->set_token("t1");
  alive->set_alive(true);
  auto* stale = response.add_leases();  // an older attempt of trial 2: not ours
  stale->set_trial_id(2);
  stale->set_token("old");
  stale->set_alive(false);
  auto* dead = response.add_leases();
  dead->set_trial_id(2);
  dead->set_token("t2");
  dead->set_alive(false);
  dead->set_reason("cancelled");
  ApplyHeartbeatResponse(response, table.Snapshot(), session);
  ApplyHeartbeatResponse(response, table.Snapshot(), session);
  EXPECT_FALSE(a->gone());
  EXPECT_TRUE(b->gone());
  EXPECT_EQ(b->gone_reason(), "cancelled");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "worker -: lease of trial 2 attempt 1 is gone (cancelled): stopping its trainer");
  table.Erase(1);
  EXPECT_EQ(table.Snapshot().size(), 1u);
}

}  // namespace
}  // namespace ltsweep::worker
