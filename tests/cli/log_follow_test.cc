// PrintTrialLog (cli/log_follow.h) against a scripted reader, without
// processes: only new bytes are printed, dropped bytes are said, following
// waits with a growing backoff while nothing comes and ends with the
// attempt, a queued trial is waited for, and a coordinator that is away for
// a while is waited out.
#include "cli/log_follow.h"

#include <algorithm>
#include <deque>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

namespace ltsweep::cli {
namespace {

using Ms = std::chrono::milliseconds;

// Answers reads from a script: each entry is the log as it stands then
// (the full text from offset 0, whether finished), or an error.
struct ScriptedLog {
  struct Step {
    std::string text;
    bool finished = false;
    int64_t dropped_prefix = 0;  // the first bytes of `text` are gone
    Status error = Status::Ok();
    int attempt = 1;
  };
  std::deque<Step> steps;
  std::vector<int64_t> froms;
  std::vector<Ms> sleeps;

  LogReadFn Reader() {
    return [this](std::optional<int>, int64_t from) -> StatusOr<TrialLog> {
      froms.push_back(from);
      Step step = steps.front();
      if (steps.size() > 1) steps.pop_front();
      if (!step.error.ok()) return step.error;
      TrialLog log;
      log.trial_id = 7;
      log.source_trial_id = 7;
      log.attempt = step.attempt;
      log.attempt_state = step.finished ? "succeeded" : "running";
      log.finished = step.finished;
      log.from_offset = from;
      log.end_offset = static_cast<int64_t>(step.text.size());
      const int64_t start = std::max(from, step.dropped_prefix);
      log.dropped_bytes = start - from;
      log.text = step.text.substr(static_cast<size_t>(start));
      log.next_offset = log.end_offset;
      return log;
    };
  }
  FollowOptions Options(bool follow) {
    FollowOptions o;
    o.follow = follow;
    o.sleep = [this](Ms d) { sleeps.push_back(d); };
    o.transient = [](const Status& s) { return s.code() == StatusCode::kUnavailable; };
    return o;
  }
};

TEST(LogFollowTest, PrintsOnceWithoutFollowing) {
  ScriptedLog script;
  script.steps = {{"a\nb\n"}};
  std::ostringstream out, err;
  ASSERT_TRUE(PrintTrialLog(script.Reader(), script.Options(false), out, err).ok());
  EXPECT_EQ(out.str(), "a\nb\n");
  EXPECT_EQ(script.froms, (std::vector<int64_t>{0}));
  EXPECT_TRUE(script.sleeps.empty());
}

TEST(LogFollowTest, FollowsNewBytesWithBackoffUntilTheAttemptEnds) {
  ScriptedLog script;
  script.steps = {{"", false, 0, Status::Ok(), 0},  // queued: no attempt yet
                  {"a\n"},
                  {"a\n"},
                  {"a\n"},
                  {"a\nb\n"},
                  {"a\nb\n"},
                  {"a\nb\nc\n", true}};
  std::ostringstream out, err;
  ASSERT_TRUE(PrintTrialLog(script.Reader(), script.Options(true), out, err).ok());
  EXPECT_EQ(out.str(), "a\nb\nc\n") << "each byte once";
  EXPECT_NE(err.str().find("trial 7 has not started yet: waiting for its first attempt"), std::string::npos);
  EXPECT_NE(err.str().find("trial 7 attempt 1 ended: succeeded"), std::string::npos) << err.str();
  EXPECT_EQ(script.froms, (std::vector<int64_t>{0, 0, 2, 2, 2, 4, 4}));
  // One wait for the start, then growing waits while nothing came, reset by news.
  EXPECT_EQ(script.sleeps, (std::vector<Ms>{Ms(200), Ms(200), Ms(300), Ms(200)}));
}

TEST(LogFollowTest, SaysWhereBytesWereDroppedAndWaitsOutAnAbsentCoordinator) {
  ScriptedLog script;
  script.steps = {{"old\n"},
                  {"", false, 0, UnavailableError("cannot reach the coordinator at x")},
                  {"", false, 0, UnavailableError("cannot reach the coordinator at x")},
                  {"old\n" + std::string(3000, 'z') + "\nnew\n", true, 4 + 3001}};
  std::ostringstream out, err;
  ASSERT_TRUE(PrintTrialLog(script.Reader(), script.Options(true), out, err).ok());
  EXPECT_EQ(out.str(), "old\nnew\n");
  EXPECT_NE(err.str().find("ltsweep: 2.9 KiB of trial 7 attempt 1 dropped here"), std::string::npos) << err.str();
  const std::string notes = err.str();
  EXPECT_EQ(std::count(notes.begin(), notes.end(), '\n'), 4) << "one note for the outage:\n" << notes;

  ScriptedLog refused;
  refused.steps = {{"x\n"}, {"", false, 0, NotFoundError("no trial 7")}};
  std::ostringstream out2, err2;
  EXPECT_EQ(PrintTrialLog(refused.Reader(), refused.Options(true), out2, err2).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ltsweep::cli
