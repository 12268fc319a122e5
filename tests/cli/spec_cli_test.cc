// `ltsweep validate` and `ltsweep expand` run as real processes: exit codes,
// one-line errors on stderr, data on stdout, --help examples.
#include <sys/wait.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "spec/config_doc.h"
#include "tests/testing/test_util.h"

namespace ltsweep {
namespace {

struct ProcessResult {
  int code = -1;
  std::string out, err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `ltsweep ARGS` through the shell, stdin from `input_file` if given.
ProcessResult Ltsweep(const std::string& args, const std::string& input_file = "") {
  testing::TempDir tmp;
  std::string cmd = Quote(LTSWEEP_CLI_PATH) + " " + args + " >" + Quote(tmp.File("out")) + " 2>" +
                    Quote(tmp.File("err"));
  if (!input_file.empty()) cmd += " <" + Quote(input_file);
  int status = std::system(cmd.c_str());
  ProcessResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = testing::ReadFile(tmp.File("out"));
  r.err = testing::ReadFile(tmp.File("err"));
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Quickstart() { return Quote((testing::SourceDir() / "sweeps" / "quickstart.yaml").string()); }

TEST(SpecCliTest, ValidatePrintsCountAndSummary) {
  ProcessResult r = Ltsweep("validate " + Quickstart());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("4 trials"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("grid search"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seeds: [0]"), std::string::npos) << r.out;
}

TEST(SpecCliTest, InvalidSpecExitsTwoWithOneLineNamingFileLineAndKey) {
  testing::TempDir tmp;
  std::string spec = tmp.File("bad.yaml");
  testing::WriteFile(spec, "method: grid\nparameters:\n  train.lr: {values: []}\n");
  ProcessResult r = Ltsweep("validate " + Quote(spec));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  auto lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].rfind("ltsweep: error: " + spec + ":3: parameters.train.lr.values: empty list", 0), 0u)
      << lines[0];

  r = Ltsweep("expand " + Quote(spec));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty());

  testing::WriteFile(spec, "parameters:\n  train.lr: {values: [0.1, 0.2]}\n");
  r = Ltsweep("validate --max-trials 1 " + Quote(spec));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("more than the cap of 1"), std::string::npos) << r.err;
}

TEST(SpecCliTest, MissingFileAndBadUsageExitTwo) {
  ProcessResult r = Ltsweep("validate /nonexistent/spec.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("ltsweep: error: /nonexistent/spec.yaml: cannot open"), std::string::npos) << r.err;
  EXPECT_EQ(Ltsweep("").code, 2);
  EXPECT_EQ(Ltsweep("frobnicate").code, 2);
  EXPECT_EQ(Ltsweep("expand").code, 2);
  EXPECT_EQ(Ltsweep("validate " + Quickstart() + " --max-trials nope").code, 2);
  r = Ltsweep("validate");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("ltsweep: error: ", 0), 0u) << r.err;
}

TEST(SpecCliTest, ExpandPrintsOneJsonLinePerTrialWithItsHash) {
  ProcessResult r = Ltsweep("expand " + Quickstart());
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  for (const auto& line : lines) {
    ASSERT_EQ(line.rfind("{\"hash\":", 0), 0u) << line;
    Json j = Json::parse(line);
    ASSERT_TRUE(j.contains("config"));
    EXPECT_EQ(j["hash"], ResolvedConfigHash(j["config"]));
    auto again = TrialConfigHash(j["config"]);
    ASSERT_OK(again);
    EXPECT_EQ(*again, j["hash"]);
  }
  EXPECT_NE(r.err.find("4 trials"), std::string::npos) << r.err;

  // "-" reads the spec from standard input and gives the same trials.
  ProcessResult from_stdin = Ltsweep("expand -", (testing::SourceDir() / "sweeps" / "quickstart.yaml").string());
  EXPECT_EQ(from_stdin.code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, r.out);
}

TEST(SpecCliTest, HelpShowsExamples) {
  for (const char* cmd : {"--help", "validate --help", "expand --help"}) {
    ProcessResult r = Ltsweep(cmd);
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd << ":\n" << r.out;
  }
}

TEST(SpecCliTest, PrintSchemaIsTheDocsTable) {
  ProcessResult r = Ltsweep("validate --print-schema");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, spec::RenderConfigKeyTable());
}

TEST(SpecCliTest, ValidatePrintsABayesPlanAndExpandRefusesIt) {
  const std::string spec = Quote((testing::SourceDir() / "sweeps" / "fmnist_lt_bayes.yaml").string());
  ProcessResult v = Ltsweep("validate " + spec);
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find("bayes search (TPE), up to 24 trials (run_cap)"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("the first 6 at random"), std::string::npos) << v.out;
  ProcessResult e = Ltsweep("expand " + spec);
  EXPECT_EQ(e.code, 2) << e.err;
  EXPECT_NE(e.err.find("no trials to list in advance"), std::string::npos) << e.err;
  EXPECT_EQ(e.out, "");
}

TEST(SpecCliTest, ValidateWarnsWhenDrwStartsBeforeTheFirstLrDrop) {
  testing::TempDir tmp;
  std::string spec = tmp.File("early_drw.yaml");
  testing::WriteFile(spec, R"(config:
  train: {epochs: 10, lr_schedule: {type: reference, warmup_epochs: 1, milestones: [8], gamma: 0.1}}
  method: {defer: drw}
seeds: [0, 1]
parameters:
  method.drw_epoch: {values: [7, 8]}
)");
  ProcessResult r = Ltsweep("validate " + Quote(spec));
  EXPECT_EQ(r.code, 0) << r.err;  // a warning, not a refusal
  EXPECT_NE(r.out.find("4 trials"), std::string::npos) << r.out;
  auto lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;  // drw_epoch 7 twice (two seeds): one line
  EXPECT_EQ(lines[0],
            "ltsweep: warning: method.drw_epoch 7: DRW starts before the learning rate's first drop at epoch 8 "
            "(train.lr_schedule.milestones); the reference starts it at the first drop (2 trial configs)");

  r = Ltsweep("validate " + Quickstart());
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

}  // namespace
}  // namespace ltsweep
