// Workers trust nothing they are handed (issue 12): ValidateLease's checks
// one by one, the data-folder policy on a real folder tree with symlinks,
// and a real coordinator (SQLite file, gRPC on loopback) whose store hands
// a lease with config hash "../../etc" to a real worker.
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "common/config_schema.h"
#include "coordinator/coordinator_server.h"
#include "store/store.h"
#include "tests/testing/test_util.h"
#include "worker/lease_validation.h"
#include "worker/worker.h"

namespace ltsweep::worker {
namespace {

namespace fs = std::filesystem;
using ::ltsweep::testing::TempDir;

std::string ResolvedJson(const Json& partial) {
  auto resolved = ResolveTrialConfig(partial);
  EXPECT_TRUE(resolved.ok()) << resolved.status().ToString();
  return resolved.ok() ? resolved->dump() : "{}";
}

LeaseFields GoodLease(const Json& partial = Json::object()) {
  LeaseFields lease;
  lease.trial_id = 7;
  lease.attempt = 1;
  lease.token = std::string(32, 'a');
  lease.config_json = ResolvedJson(partial);
  lease.config_hash = ResolvedConfigHash(Json::parse(lease.config_json));
  return lease;
}

const DataRootPolicy& NoRoots() {
  static const DataRootPolicy policy({});
  return policy;
}

TEST(LeaseValidationTest, AGoodLeasePasses) { EXPECT_OK(ValidateLease(GoodLease(), NoRoots())); }

TEST(LeaseValidationTest, ConfigHashMustBe64LowerHexDigits) {
  for (const std::string& hash : std::vector<std::string>{"../../etc", "", std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'A'),
                                 std::string(60, 'a') + "/../", std::string(63, 'a') + '\0'}) {
    LeaseFields lease = GoodLease();
    lease.config_hash = hash;
    const Status s = ValidateLease(lease, NoRoots());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << hash;
    EXPECT_NE(s.message().find("config_hash"), std::string::npos) << s.message();
    EXPECT_FALSE(RefusalMayRunElsewhere(s));
  }
}

TEST(LeaseValidationTest, IdsAttemptAndTokenAreChecked) {
  LeaseFields lease = GoodLease();
  lease.trial_id = 0;
  EXPECT_NE(ValidateLease(lease, NoRoots()).message().find("trial_id"), std::string::npos);
  lease = GoodLease();
  lease.trial_id = -3;
  EXPECT_EQ(ValidateLease(lease, NoRoots()).code(), StatusCode::kInvalidArgument);
  lease = GoodLease();
  lease.attempt = 0;
  EXPECT_NE(ValidateLease(lease, NoRoots()).message().find("attempt"), std::string::npos);
  for (const std::string& token : std::vector<std::string>{"", "../x", std::string(31, 'a'), std::string(32, 'g'), std::string(33, '0')}) {
    lease = GoodLease();
    lease.token = token;
    const Status s = ValidateLease(lease, NoRoots());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << token;
    EXPECT_NE(s.message().find("token"), std::string::npos) << s.message();
  }
}

TEST(LeaseValidationTest, ConfigMustBeAKnownJsonObjectWithinTheCap) {
  for (const std::string& text : std::vector<std::string>{"", "[1,2]", "\"x\"", "{\"train\":", "{\"nonsense\": 1}",
                                 "{\"train\": {\"epochs\": 1e12}}"}) {
    LeaseFields lease = GoodLease();
    lease.config_json = text;
    const Status s = ValidateLease(lease, NoRoots());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(s.message().find("config_json"), std::string::npos) << s.message();
  }
  LeaseFields lease = GoodLease();
  EXPECT_OK(ValidateLease(lease, NoRoots(), lease.config_json.size()));
  const Status s = ValidateLease(lease, NoRoots(), lease.config_json.size() - 1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("limit"), std::string::npos) << s.message();
}

TEST(DataRootPolicyTest, FoldersInsideAnAllowedRootPassOthersAreRefusedByName) {
  TempDir dir;
  fs::create_directories(dir.path() / "data" / "cifar");
  fs::create_directories(dir.path() / "data-other");
  fs::create_directories(dir.path() / "secret");
  fs::create_symlink(dir.path() / "secret", dir.path() / "data" / "link-out");
  const DataRootPolicy policy({(dir.path() / "data").string() + "/"});
  EXPECT_OK(policy.Check("data.root", dir.File("data")));
  EXPECT_OK(policy.Check("data.root", dir.File("data/cifar")));
  EXPECT_OK(policy.Check("data.root", dir.File("data/not-yet/made")));
  EXPECT_OK(policy.Check("data.root", dir.File("secret/../data/cifar")));
  for (const std::string& bad : std::vector<std::string>{dir.File("data/../secret"), dir.File("data-other"), dir.File("data/link-out"),
                                dir.File("data/link-out/x"), std::string("/etc"), std::string("/")}) {
    const Status s = policy.Check("data.cache_dir", bad);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << bad;
    EXPECT_NE(s.message().find("data.cache_dir"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("--data-root"), std::string::npos) << s.message();
    EXPECT_TRUE(RefusalMayRunElsewhere(s));
  }
}

TEST(DataRootPolicyTest, RelativeFoldersResolveAgainstTheCurrentFolder) {
  TempDir dir;
  fs::create_directories(dir.path() / "data");
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  const DataRootPolicy policy({"data"});
  EXPECT_OK(policy.Check("data.root", "data/x"));
  EXPECT_OK(policy.Check("data.root", "./data"));
  EXPECT_EQ(policy.Check("data.root", "data/../..").code(), StatusCode::kPermissionDenied);
  fs::current_path(before);
}

TEST(LeaseValidationTest, DataFoldersOfTheConfigAreCheckedAgainstThePolicy) {
  TempDir dir;
  fs::create_directories(dir.path() / "data");
  const DataRootPolicy policy({dir.File("data")});
  EXPECT_OK(ValidateLease(GoodLease({{"data", {{"root", dir.File("data/cifar")}}}}), policy));
  EXPECT_OK(ValidateLease(GoodLease({{"data", {{"root", ""}, {"cache_dir", ""}}}}), policy));
  const Status root = ValidateLease(GoodLease({{"data", {{"root", "/etc"}}}}), policy);
  EXPECT_EQ(root.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(root.message().find("data.root"), std::string::npos) << root.message();
  const Status cache = ValidateLease(GoodLease({{"data", {{"cache_dir", dir.File("data/../x")}}}}), policy);
  EXPECT_EQ(cache.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(cache.message().find("data.cache_dir"), std::string::npos) << cache.message();
}

TEST(LeaseValidationTest, DefaultRootsAreTheTrainersPlacesAndLocalModeAddsItsSpecsFolders) {
  const std::vector<std::string> roots = DefaultDataRoots();
  ASSERT_FALSE(roots.empty());
  EXPECT_EQ(roots[0], "/usr/share/datasets");
  const std::string a = ResolvedJson({{"data", {{"root", "d1"}, {"cache_dir", "c1"}}}});
  const std::string b = ResolvedJson({{"data", {{"root", "d1"}}}});
  EXPECT_EQ(DataFoldersOfConfigs({a, b, "not json"}), (std::vector<std::string>{"d1", "c1"}));
}

// --- A real coordinator hands a hostile lease -----------------------------

// The store hands only what was submitted, so the hostile rows are written
// through the store itself: the coordinator serves them as they are.
TEST(LeaseValidationIntegrationTest, ConfigHashWithDotsIsRefusedAndNothingIsCreatedOutsideTheWorkDir) {
  TempDir dir;
  coordinator::CoordinatorOptions co;
  co.db_path = dir.File("sweeps.db");
  co.listen = "127.0.0.1:0";
  co.log = [](const std::string&) {};
  coordinator::CoordinatorServer server(co);
  auto port = server.Start();
  ASSERT_OK(port);

  const std::string config = ResolvedJson({{"train", {{"epochs", 2}}}});
  NewSweep sweep;
  sweep.name = "hostile";
  sweep.spec_yaml = "# written by the test";
  sweep.max_attempts = 1;
  // "../../etc" from the issue; "/../../../escape" is a 16-character prefix
  // that, as <checkpoint root>/<id>-<prefix>, would climb out of the work dir.
  // A well-formed trial whose data.root is a folder the worker does not
  // allow (its default roots): refused as "may run elsewhere".
  const std::string etc_config = ResolvedJson({{"train", {{"epochs", 2}}}, {"data", {{"root", "/etc"}}}});
  sweep.trials = {{"../../etc", config},
                  {"/../../../escape", config},
                  {ResolvedConfigHash(Json::parse(etc_config)), etc_config}};
  auto created = server.store()->CreateSweep(sweep);
  ASSERT_OK(created);

  const fs::path work = dir.path() / "work";
  WorkerOptions wo;
  wo.coordinator = "127.0.0.1:" + std::to_string(*port);
  wo.slots = 1;
  wo.trainer_path = LTSWEEP_FAKE_TRAIN_PATH;
  wo.work_dir = work.string();
  wo.checkpoint_root = (work / "ckpt").string();
  wo.heartbeat_interval = std::chrono::milliseconds(200);
  std::vector<std::string> lines;
  std::mutex lines_mu;
  wo.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(lines_mu);
    lines.push_back(line);
  };
  Worker worker(wo);
  std::thread run([&] { EXPECT_OK(worker.Run()); });

  // The data.root trial's first attempt is what counts: whether the
  // coordinator then fails it (today) or requeues it for another worker
  // (RETRY_ELSEWHERE, issue 11) is the coordinator's business.
  auto finished = [&] {
    for (size_t i = 0; i < created->trial_ids.size(); ++i) {
      auto info = server.store()->GetTrial(created->trial_ids[i]);
      if (!info.ok()) return false;
      if (i == 2) {
        if (info->attempts.empty() || !info->attempts[0].ended_ms) return false;
      } else if (info->trial.state != TrialState::kFailed && info->trial.state != TrialState::kSucceeded) {
        return false;
      }
    }
    return true;
  };
  for (int i = 0; i < 300 && !finished(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  worker.Stop();
  run.join();
  server.Shutdown();

  for (size_t i = 0; i < created->trial_ids.size(); ++i) {
    auto info = server.store()->GetTrial(created->trial_ids[i]);
    ASSERT_OK(info);
    ASSERT_FALSE(info->attempts.empty()) << "trial " << i;
    const std::string& error = info->attempts[0].error;
    if (i < 2) {
      EXPECT_EQ(info->trial.state, TrialState::kFailed) << "trial " << i;
    }
    EXPECT_EQ(error.rfind("lease refused by the worker: ", 0), 0u) << error;
    EXPECT_NE(error.find(i < 2 ? "config_hash" : "data.root: /etc"), std::string::npos) << error;
  }
  EXPECT_FALSE(fs::exists(dir.path() / "escape"));
  EXPECT_FALSE(fs::exists(dir.path() / "etc"));
  // Nothing was made for the refused trials: no attempt folder, no checkpoint.
  std::vector<std::string> made;
  for (const auto& entry : fs::recursive_directory_iterator(work)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("trial-", 0) == 0 || entry.path().parent_path() == work / "ckpt") made.push_back(name);
  }
  EXPECT_TRUE(made.empty()) << made.front();
}

// The memory limit through a real worker: the trainer of a slot limited to
// 256M allocates 1 GiB, dies naming std::bad_alloc, and the attempt is
// reported as a crash whose error starts with the note.
TEST(MemoryLimitIntegrationTest, ATrainerPastTheSlotsLimitIsACrashWithTheNote) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS cannot be tested under AddressSanitizer";
#endif
  TempDir dir;
  coordinator::CoordinatorOptions co;
  co.db_path = dir.File("sweeps.db");
  co.listen = "127.0.0.1:0";
  co.log = [](const std::string&) {};
  coordinator::CoordinatorServer server(co);
  auto port = server.Start();
  ASSERT_OK(port);
  const std::string config = ResolvedJson({{"train", {{"epochs", 1}}}});
  NewSweep sweep;
  sweep.name = "hungry";
  sweep.spec_yaml = "# written by the test";
  sweep.max_attempts = 1;
  sweep.trials = {{ResolvedConfigHash(Json::parse(config)), config}};
  auto created = server.store()->CreateSweep(sweep);
  ASSERT_OK(created);

  WorkerOptions wo;
  wo.coordinator = "127.0.0.1:" + std::to_string(*port);
  wo.slots = 1;
  wo.trainer_path = LTSWEEP_FAKE_TRAIN_PATH;
  wo.work_dir = dir.File("work");
  wo.memory_limit_bytes = uint64_t{256} << 20;
  wo.log = [](const std::string&) {};
  setenv("LTSWEEP_FAKE_ALLOC_MB", "1024", 1);  // inherited by the trainer
  Worker worker(wo);
  std::thread run([&] { EXPECT_OK(worker.Run()); });
  const int64_t id = created->trial_ids[0];
  auto ended = [&] {
    auto info = server.store()->GetTrial(id);
    return info.ok() && info->trial.state == TrialState::kFailed;
  };
  for (int i = 0; i < 300 && !ended(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  worker.Stop();
  run.join();
  unsetenv("LTSWEEP_FAKE_ALLOC_MB");
  server.Shutdown();
  auto info = server.store()->GetTrial(id);
  ASSERT_OK(info);
  EXPECT_EQ(info->trial.state, TrialState::kFailed);
  EXPECT_EQ(info->trial.error.rfind("memory limit 256M reached? ", 0), 0u) << info->trial.error;
  ASSERT_EQ(info->attempts.size(), 1u);
  EXPECT_NE(info->attempts[0].exit_code.value_or(0), 0);
}

}  // namespace
}  // namespace ltsweep::worker
