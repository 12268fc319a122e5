// The worker's pure rules: what a trainer exit becomes in FinishAttempt
// (worker/attempt_rules.h), when work is dropped, how the trainer is started
// (worker/trainer_command.h), and which leases a heartbeat marks gone
// (worker/heartbeat_loop.h). No processes, no sockets.
#include <gtest/gtest.h>

#include "common/trainer_contract.h"
#include "worker/attempt_rules.h"
#include "worker/heartbeat_loop.h"
#include "worker/lease_table.h"
#include "worker/output_limits.h"
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

TEST(PlanFinishTest, CannotRunHereGoesElsewhere) {
  const FinishPlan plan = PlanFinish(Exited(contract::kExitCannotRunHere), "", "no CUDA device", false);
  EXPECT_EQ(plan.outcome, v1::RETRY_ELSEWHERE);
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
  EXPECT_EQ(plan.outcome, v1::WORKER_FAULT);
  EXPECT_EQ(plan.error, "cannot start the trainer: fork: out of memory");
  EXPECT_EQ(plan.exit_code, -1);

  plan = PlanWorkerFault("work dir full: cannot write w/config.json: No space left on device");
  EXPECT_EQ(plan.outcome, v1::WORKER_FAULT);
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

TEST(PlanFinishTest, TheErrorTextOfAFinishIsValidUtf8AndBounded) {
  v1::LeaseRef lease;
  const std::string tail = "\x80 caf\xc3\xa9 \xff" + std::string(10'000, 'x') + "\xe2\x82\xac";
  const v1::FinishAttemptRequest r =
      MakeFinishRequest("w-1", lease, PlanFinish(Exited(contract::kExitCrash), "", tail, false));
  EXPECT_LE(r.error().size(), kMaxErrorBytes);
  EXPECT_EQ(ToValidUtf8(r.error()), r.error());
  EXPECT_EQ(r.error().rfind("trainer crashed: exit status 1: \xEF\xBF\xBD caf\xc3\xa9 \xEF\xBF\xBD", 0), 0u);
  EXPECT_NE(r.error().find("x ... x"), std::string::npos) << "the middle is dropped";
  EXPECT_EQ(r.error().substr(r.error().size() - 4), "x\xe2\x82\xac") << "the last words are kept";
  std::string serialized;
  EXPECT_TRUE(r.SerializeToString(&serialized));
  v1::FinishAttemptRequest back;
  EXPECT_TRUE(back.ParseFromString(serialized)) << "protobuf refuses invalid UTF-8 in a string field";
}

// A watch state: spawned at 0, now at `now`, lease renewed at 0 with a 30 s
// TTL and a 3 s margin.
WatchState At(int64_t now) {
  WatchState s;
  s.now_ms = now;
  s.renewed_ms = 1;
  s.lease_ttl_ms = 30'000;
  s.margin_ms = 3'000;
  return s;
}

TEST(DecideStopTest, EachReasonInItsOrder) {
  EXPECT_EQ(DecideStop(At(1'000)).reason, StopReason::kNone);
  WatchState s = At(1'000);
  s.lease_gone = true;
  s.stopping = true;
  EXPECT_EQ(DecideStop(s).reason, StopReason::kLeaseGone);
  s.lease_gone = false;
  EXPECT_EQ(DecideStop(s).reason, StopReason::kWorkerStopping);

  // Not renewed for TTL - margin.
  EXPECT_EQ(DecideStop(At(26'999)).reason, StopReason::kNone);
  const StopDecision partition = DecideStop(At(27'001));
  EXPECT_EQ(partition.reason, StopReason::kLeaseNotRenewed);
  EXPECT_EQ(partition.message.rfind("stopped by the worker: lease not renewed for 27s (lease TTL 30s - margin 3s)", 0),
            0u)
      << partition.message;
  s = At(27'001);
  s.lease_ttl_ms = 0;  // unknown TTL: no partition rule
  EXPECT_EQ(DecideStop(s).reason, StopReason::kNone);

  s = At(7'200'000);
  s.renewed_ms = 7'199'000;
  s.timeout_ms = 7'200'000;
  const StopDecision timeout = DecideStop(s);
  EXPECT_EQ(timeout.reason, StopReason::kTimeLimit);
  EXPECT_EQ(timeout.message, "timed out after 2h");

  s = At(1'000'000);
  s.renewed_ms = 999'000;
  s.no_progress_ms = 600'000;
  s.last_event_ms = 400'000;
  s.last_event = "epoch 3";
  const StopDecision stalled = DecideStop(s);
  EXPECT_EQ(stalled.reason, StopReason::kNoProgress);
  EXPECT_EQ(stalled.message, "no progress for 10m: last event epoch 3 at 1970-01-01T00:06:40.000Z");
  s.last_event_ms = 400'001;
  EXPECT_EQ(DecideStop(s).reason, StopReason::kNone);
}

TEST(DecideStopTest, MarginKillTimeAndDurations) {
  EXPECT_EQ(LeaseMargin(0, 5'000, 30'000), 10'000);  // 2 heartbeats
  EXPECT_EQ(LeaseMargin(0, 1'000, 600'000), 60'000);  // 10 % of the TTL
  EXPECT_EQ(LeaseMargin(4'000, 5'000, 30'000), 4'000);
  EXPECT_EQ(LeaseMargin(0, 5'000, 8'000), 4'000);  // never more than half the TTL
  // A partition stop gets its SIGKILL before the lease can expire, whatever the grace.
  const WatchState s = At(27'001);
  EXPECT_EQ(KillAt(StopReason::kLeaseNotRenewed, 27'001, 30'000, s), 1 + 30'000 - 1'500);
  EXPECT_EQ(KillAt(StopReason::kTimeLimit, 27'001, 30'000, s), 57'001);
  EXPECT_EQ(FormatDuration(300), "300ms");
  EXPECT_EQ(FormatDuration(1'500), "1500ms");
  EXPECT_EQ(FormatDuration(30'000), "30s");
  EXPECT_EQ(FormatDuration(600'000), "10m");
}

TEST(PlanFinishTest, AStopOfTheWorkerDecidesTheOutcomeUnlessTheTrialSucceeded) {
  const StopDecision timeout{StopReason::kTimeLimit, "timed out after 2h"};
  FinishPlan plan = PlanFinish(Exited(contract::kExitInterrupted, true), "", "tail", false, timeout);
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error, "timed out after 2h (trainer exit status 4)");
  plan = PlanFinish(Killed(9), "", "", false, {StopReason::kNoProgress, "no progress for 10m: no event yet"});
  EXPECT_EQ(plan.outcome, v1::FAILED_RETRYABLE);
  EXPECT_EQ(plan.error.rfind("no progress for 10m: no event yet (trainer killed by signal 9", 0), 0u) << plan.error;
  // Done just before the limit: a success is a success.
  EXPECT_EQ(PlanFinish(Exited(0, true), kDone, "", false, timeout).outcome, v1::SUCCEEDED);

  const StopDecision partition{StopReason::kLeaseNotRenewed, "stopped by the worker: lease not renewed"};
  for (const contract::TrainerExit& exit : {Exited(contract::kExitInterrupted, true), Killed(9)}) {
    plan = PlanFinish(exit, "", "", false, partition);
    EXPECT_EQ(plan.outcome, v1::INTERRUPTED) << contract::DescribeExit(exit);
    EXPECT_EQ(plan.error, partition.message);
  }
  EXPECT_EQ(PlanFinish(Exited(2, true), "", "bad", false, partition).outcome, v1::FAILED_PERMANENT);
  EXPECT_TRUE(PlanFinish(Killed(9), "", "", /*lease_gone=*/true, timeout).drop);
}

TEST(OutputLimitsTest, Utf8RepairCutsAndEscapes) {
  EXPECT_EQ(ToValidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(ToValidUtf8("a\xff" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ToValidUtf8("\xc3"), "\xEF\xBF\xBD");                   // truncated
  EXPECT_EQ(ToValidUtf8("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(ToValidUtf8("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(TruncateUtf8("ab\xe2\x82\xac", 4), "ab");
  EXPECT_EQ(TruncateUtf8("\xe2\x82\xac" "ab", 4, /*keep_end=*/true), "ab");
  EXPECT_EQ(TruncateUtf8("abc", 4), "abc");
  EXPECT_EQ(ElideMiddleUtf8(std::string(50, 'a') + std::string(50, 'b'), 40), std::string(10, 'a') + " ... " +
                                                                                  std::string(25, 'b'));
  EXPECT_EQ(ElideMiddleUtf8("short", 40), "short");
  EXPECT_EQ(EscapeForLog("a\x01\n\xff", 80), "a\\x01\\n\\xff");
  EXPECT_EQ(EscapeForLog(std::string(100, 'x'), 80), std::string(80, 'x') + "...");
}

TEST(OutputLimitsTest, JsonDepthIsMeasuredOutsideStrings) {
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"a":[[1],[2]]})", 3));
  EXPECT_TRUE(JsonNestsDeeperThan(R"({"a":[[[1]]]})", 3));
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"a":"[[[[[[\"[[["})", 1));
  EXPECT_TRUE(JsonNestsDeeperThan(std::string(100'000, '['), kMaxJsonDepth));
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
  inv.cuda_visible_devices = "3";
  const SpawnOptions spawn = MakeSpawnOptions(inv);
  EXPECT_EQ(spawn.args, (std::vector<std::string>{"--config", "c.json", "--threads", "2", "--device", "cuda"}));
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(spawn.env, (Env{{"CUDA_VISIBLE_DEVICES", "3"}, {"OMP_NUM_THREADS", "2"}}));
}

TEST(TrainerCommandTest, SharedGpuSlotTellsTheTrainerItsMemoryShare) {
  TrainerInvocation inv;
  inv.trainer = "t";
  inv.config_path = "c.json";
  inv.cuda_visible_devices = "1,2";
  inv.gpu_memory_fraction = 0.25;
  const SpawnOptions spawn = MakeSpawnOptions(inv);
  EXPECT_EQ(spawn.args, (std::vector<std::string>{"--config", "c.json", "--threads", "1", "--device", "cuda",
                                                  "--gpu-memory-fraction", "0.25"}));
  inv.cuda_visible_devices.reset();  // a CPU trial never gets a share
  EXPECT_EQ(MakeSpawnOptions(inv).args,
            (std::vector<std::string>{"--config", "c.json", "--threads", "1", "--device", "cpu"}));
}

TEST(TrainerCommandTest, Names) {
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

TEST(LeaseTest, AHeartbeatThatFindsTheLeaseAliveRenewsItAsOfWhenItWasAsked) {
  WorkerSession session(nullptr, BackoffOptions{}, 1);
  auto a = std::make_shared<ActiveLease>(1, 1, "t1", /*leased_ms=*/1'000);
  auto b = std::make_shared<ActiveLease>(2, 1, "t2", /*leased_ms=*/1'000);
  v1::HeartbeatResponse response;
  auto* alive = response.add_leases();
  alive->set_trial_id(1);
  alive->set_token("t1");
  alive->set_alive(true);
  ApplyHeartbeatResponse(response, {a, b}, session, /*asked_ms=*/5'000);
  EXPECT_EQ(a->renewed_ms(), 5'000);
  EXPECT_EQ(b->renewed_ms(), 1'000) << "not in the answer: not renewed";
  ApplyHeartbeatResponse(response, {a, b}, session, /*asked_ms=*/4'000);  // an older call answering late
  EXPECT_EQ(a->renewed_ms(), 5'000);
}

}  // namespace
}  // namespace ltsweep::worker
