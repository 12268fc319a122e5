// Hostile sweep specs (issue 12): each is refused with a clear message and
// the right code, never a crash or an exhausted process. The inputs are
// generated here; tests/fuzz/corpus/spec/ holds the same kinds of input as
// files (the fuzzer's seeds), and the last test checks those too. Nothing
// here asserts a timing.
#include <filesystem>
#include <limits>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "spec/expand.h"
#include "spec/spec_limits.h"
#include "spec/sweep_spec.h"
#include "tests/testing/test_util.h"

namespace ltsweep::spec {
namespace {

namespace fs = std::filesystem;

// Billion laughs inside a parameter's values, where the parser converts
// each value to JSON: nine levels of nine references, 9^9 strings.
std::string AliasBomb() {
  std::string s = "parameters:\n  lol:\n    values: [&a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", "
                  "\"lol\", \"lol\", \"lol\"]";
  for (char level = 'b'; level <= 'i'; ++level) {
    s += fmt::format(",\n      &{} [", level);
    for (int k = 0; k < 9; ++k) s += fmt::format("{}*{}", k ? ", " : "", static_cast<char>(level - 1));
    s += "]";
  }
  return s + "]\n";
}

std::string ManySeeds(int n) {
  std::string s = "seeds: [0";
  for (int i = 1; i < n; ++i) s += fmt::format(", {}", i);
  return s + "]\nparameters:\n  train.lr: {value: 0.1}\n";
}

std::string DeepFlow(int depth) {
  return "config: " + std::string(static_cast<size_t>(depth), '[') + std::string(static_cast<size_t>(depth), ']') +
         "\n";
}

std::string DeepDashes(int depth) {
  std::string s = "seeds:\n";
  for (int i = 0; i < depth; ++i) s += "- ";
  return s + "1\n";
}

void ExpectRefused(const StatusOr<SweepSpec>& r, StatusCode code, const std::string& prefix,
                   const std::vector<std::string>& words) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  const std::string& msg = r.status().message();
  EXPECT_EQ(msg.compare(0, prefix.size(), prefix), 0) << "message: " << msg << "\nexpected prefix: " << prefix;
  for (const auto& w : words) EXPECT_NE(msg.find(w), std::string::npos) << "message: " << msg << "\nlacks: " << w;
  EXPECT_LT(msg.size(), 400u) << "a message should stay short: " << msg;
}

TEST(HostileSpecTest, AliasBombIsRefusedPastTheNodeBudget) {
  const std::string bomb = AliasBomb();
  EXPECT_LT(bomb.size(), 500u);
  ExpectRefused(ParseSweepSpec(bomb, "bomb.yaml"), StatusCode::kInvalidArgument, "bomb.yaml:1: parameters:",
                {"more than 1000000 YAML nodes", "alias"});
  // ValidateSweepText, what `ltsweep validate` and a coordinator call, says the same.
  auto v = ValidateSweepText(bomb, "bomb.yaml");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status(), ParseSweepSpec(bomb, "bomb.yaml").status());
}

TEST(HostileSpecTest, NodeBudgetCountsEachUseOfAnAlias) {
  // 13 nodes once *a is expanded (root, 3 keys with their mappings, the
  // list, and the preset mapping of 3 nodes twice); 10 if it counted once.
  const std::string spec = "parameters:\n  p:\n    values: [&a {train.lr: 0.1}, *a]\n";
  SpecLimits limits;
  limits.max_nodes = 12;
  ExpectRefused(ParseSweepSpec(spec, "t.yaml", limits), StatusCode::kInvalidArgument, "t.yaml:1: parameters:",
                {"more than 12 YAML nodes"});
  limits.max_nodes = 13;
  auto within = ParseSweepSpec(spec, "t.yaml", limits);
  EXPECT_OK(within);
}

TEST(HostileSpecTest, ThirtyThousandDigitIntegerIsOutOfRange) {
  const std::string spec = "seed: " + std::string(30'000, '7') + "\n";
  ExpectRefused(ParseSweepSpec(spec, "t.yaml"), StatusCode::kInvalidArgument, "t.yaml:1: seed:",
                {"out of range", "30000 characters"});
  // Also inside a list and as a float; quoted, it is a string.
  ExpectRefused(ParseSweepSpec("seeds: [1, " + std::string(400, '9') + "]\n", "t.yaml"),
                StatusCode::kInvalidArgument, "t.yaml:1: seeds[1]:", {"out of range"});
  ExpectRefused(ParseSweepSpec("config: {train: {lr: 1e400}}\n", "t.yaml"), StatusCode::kInvalidArgument,
                "t.yaml:1: config.train.lr:", {"1e400 is out of range"});
  ExpectRefused(ParseSweepSpec("seed: \"" + std::string(30'000, '7') + "\"\n", "t.yaml"),
                StatusCode::kInvalidArgument, "t.yaml:1: seed:", {"expected an integer"});
}

TEST(HostileSpecTest, FourHundredThousandSeedsAreRefused) {
  const std::string spec = ManySeeds(400'000);
  // Over the default size limit already...
  ExpectRefused(ParseSweepSpec(spec, "t.yaml"), StatusCode::kInvalidArgument, "t.yaml:",
                {fmt::format("the spec is {} bytes", spec.size()), "limit of 1024 KiB"});
  // ...and over the limit on values when the size limit is raised.
  SpecLimits limits;
  limits.max_bytes = 16 << 20;
  ExpectRefused(ParseSweepSpec(spec, "t.yaml", limits), StatusCode::kInvalidArgument, "t.yaml:1: seeds:",
                {"400000 seeds, more than the limit of 10000"});
}

TEST(HostileSpecTest, IntegerDrawBoundsBeyondTwoTo53AreRefusedBeforeTheyAreCast) {
  // Integer draws go through int64, whatever the key's type (the schema
  // bounds integer values, but not train.lr, and model.knn_k has no maximum).
  ExpectRefused(ParseSweepSpec("method: random\nrun_cap: 2\nparameters:\n  model.knn_k: {distribution: int_uniform, min: 1, max: 1e300}\n",
                               "t.yaml"),
                StatusCode::kInvalidArgument, "t.yaml:4: parameters.model.knn_k.max:", {"beyond 2^53"});
  ExpectRefused(ParseSweepSpec("method: random\nrun_cap: 2\nparameters:\n  train.lr: {distribution: int_uniform, "
                               "min: 0, max: 1e300}\n",
                               "t.yaml"),
                StatusCode::kInvalidArgument, "t.yaml:4: parameters.train.lr.max:", {"beyond 2^53"});
  ExpectRefused(ParseSweepSpec("method: random\nrun_cap: 2\nparameters:\n  model.knn_k: {distribution: q_uniform, "
                               "min: 1, max: 10, q: 1e200}\n",
                               "t.yaml"),
                StatusCode::kInvalidArgument, "t.yaml:4: parameters.model.knn_k.q:", {"beyond 2^53"});
}

TEST(HostileSpecTest, SeedsAndValuesUpToTheLimitAreAccepted) {
  auto seeds = ParseSweepSpec(ManySeeds(10'000), "t.yaml");
  ASSERT_OK(seeds);
  EXPECT_EQ(seeds->seeds.size(), 10'000u);
  // A duplicate at the end of a long list is still found.
  std::string dup = ManySeeds(10'000);
  dup.replace(dup.find(", 9999]"), 7, ", 17]");
  ExpectRefused(ParseSweepSpec(dup, "t.yaml"), StatusCode::kInvalidArgument, "t.yaml:1: seeds[9999]:",
                {"duplicate seed 17"});

  std::string values = "parameters:\n  train.epochs:\n    values: [1";
  for (int i = 2; i <= 10'001; ++i) values += fmt::format(",{}", i);
  values += "]\n";
  ExpectRefused(ParseSweepSpec(values, "t.yaml"), StatusCode::kInvalidArgument,
                "t.yaml:3: parameters.train.epochs.values:", {"10001 values, more than the limit of 10000"});
}

TEST(HostileSpecTest, TenThousandDeepNestingIsRefusedBeforeParsing) {
  ExpectRefused(ParseSweepSpec(DeepFlow(10'000), "t.yaml"), StatusCode::kInvalidArgument, "t.yaml:1:",
                {"nested too deeply", "limit is 64 levels"});
  ExpectRefused(ParseSweepSpec(DeepDashes(10'000), "t.yaml"), StatusCode::kInvalidArgument, "t.yaml:2:",
                {"nested too deeply", "limit is 64 levels"});
  std::string indented = "config:\n";
  for (int i = 1; i <= 200; ++i) indented += std::string(static_cast<size_t>(i), ' ') + "a:\n";
  ExpectRefused(ParseSweepSpec(indented, "t.yaml"), StatusCode::kInvalidArgument, "t.yaml:",
                {"nested too deeply"});
}

TEST(HostileSpecTest, NestingJustPastTheLimitIsFoundAfterParsing) {
  // 70 brackets pass the quick count (which allows for its imprecision) but
  // not the exact depth check: the top-level mapping is level 1.
  ExpectRefused(ParseSweepSpec(DeepFlow(70), "t.yaml"), StatusCode::kInvalidArgument, "t.yaml:1: config",
                {"nested deeper than the limit of 64 levels"});
  auto at_limit = ParseSweepSpec(DeepFlow(63), "t.yaml");
  ASSERT_FALSE(at_limit.ok());  // config is not a list, but the depth is fine
  EXPECT_NE(at_limit.status().message().find("expected a mapping"), std::string::npos)
      << at_limit.status().message();
  SpecLimits limits;
  limits.max_depth = 3;
  ExpectRefused(ParseSweepSpec("parameters:\n  p:\n    values: [{a: 1}]\n", "t.yaml", limits),
                StatusCode::kInvalidArgument, "t.yaml:3: parameters.p.values:",
                {"nested deeper than the limit of 3 levels"});
}

TEST(HostileSpecTest, Latin1IsRefusedWithItsByteOffset) {
  ExpectRefused(ParseSweepSpec("name: demo\ndescription: caf\xE9 au lait\n", "t.yaml"), StatusCode::kInvalidArgument,
                "t.yaml:2: byte offset 27:", {"invalid UTF-8 (byte 0xE9)"});
  // UTF-8, with or without a byte order mark, is fine.
  auto utf8 = ParseSweepSpec("\xEF\xBB\xBFname: demo\ndescription: caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x8E\x89\n",
                             "t.yaml");
  ASSERT_OK(utf8);
  EXPECT_EQ(utf8->description, "caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x8E\x89");
}

TEST(HostileSpecTest, NulByteIsRefusedWithItsByteOffset) {
  const std::string spec("name: de\0mo\n", 12);
  ExpectRefused(ParseSweepSpec(spec, "t.yaml"), StatusCode::kInvalidArgument, "t.yaml:1: byte offset 8:",
                {"NUL byte"});
}

TEST(HostileSpecTest, OversizedSpecIsRefusedBeforeParsingAndTheLimitIsAnOption) {
  std::string spec = "name: demo\ndescription: " + std::string(2000, 'x') + "\n";
  SpecLimits limits;
  limits.max_bytes = 1024;
  ExpectRefused(ParseSweepSpec(spec, "t.yaml", limits), StatusCode::kInvalidArgument, "t.yaml:",
                {fmt::format("the spec is {} bytes, more than the limit of 1 KiB (1024 bytes)", spec.size())});
  // LoadSweepSpecFile stops reading past the limit and names the file's size.
  testing::TempDir dir;
  testing::WriteFile(dir.File("big.yaml"), spec);
  auto loaded = LoadSweepSpecFile(dir.File("big.yaml"), limits);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find(fmt::format("is {} bytes", spec.size())), std::string::npos)
      << loaded.status().message();
  limits.max_bytes = 4096;
  auto fits = LoadSweepSpecFile(dir.File("big.yaml"), limits);
  EXPECT_OK(fits);
}

TEST(HostileSpecTest, RunningOutOfMemoryWhileExpandingIsResourceExhausted) {
  // Eight axes of 100 empty presets: 10^16 combinations. With the trial
  // cap lifted, expansion asks for far more memory than exists.
  std::string spec = "parameters:\n";
  for (int p = 0; p < 8; ++p) {
    spec += fmt::format("  preset{}: {{values: [{{}}", p);
    for (int v = 1; v < 100; ++v) spec += ", {}";
    spec += "]}\n";
  }
  ExpandOptions options;
  options.max_trials = std::numeric_limits<int64_t>::max();
  options.check_data_paths = false;
  auto r = ValidateSweepText(spec, "t.yaml", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("t.yaml: out of memory while expanding"), std::string::npos)
      << r.status().message();
}

TEST(HostileSpecTest, ManyParametersAreCheckedForDuplicatesInLinearTime) {
  // 20,000 preset parameters (pairwise checks would take 2*10^8 steps),
  // the last one a duplicate of the first.
  std::string spec = "parameters:\n";
  for (int p = 0; p < 20'000; ++p) spec += fmt::format("  p{}: {{value: {{}}}}\n", p);
  spec += "  p0: {value: {}}\n";
  auto r = ParseSweepSpec(spec, "t.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("t.yaml:20002: parameters.p0: defined twice (first on line 2)"),
            std::string::npos)
      << r.status().message();
}

TEST(HostileSpecTest, FuzzCorpusHostileFilesAreRefusedAndTheOthersParse) {
  const fs::path dir = testing::SourceDir() / "tests" / "fuzz" / "corpus" / "spec";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int hostile = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".yaml") continue;
    auto r = LoadSweepSpecFile(entry.path().string());
    if (name.rfind("hostile_", 0) == 0) {
      ++hostile;
      EXPECT_FALSE(r.ok()) << name;
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name << ": " << r.status().ToString();
    } else {
      EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    }
  }
  EXPECT_GE(hostile, 7);
}

}  // namespace
}  // namespace ltsweep::spec
