// The CLI's shared helpers (cli/cli_support.cc): durations of daemon flags and
// their defaults in --help, exit codes.
#include <gtest/gtest.h>

#include "cli/commands.h"
#include "coordinator/options.h"
#include "tests/testing/test_util.h"

namespace ltsweep::cli {
namespace {

using std::chrono::milliseconds;

milliseconds Parsed(const std::string& text) {
  auto d = ParseDuration(text, "--flag");
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : milliseconds(-1);
}

TEST(ParseDurationTest, UnitsAndBareSeconds) {
  EXPECT_EQ(Parsed("500ms"), milliseconds(500));
  EXPECT_EQ(Parsed("30s"), milliseconds(30'000));
  EXPECT_EQ(Parsed("30"), milliseconds(30'000));
  EXPECT_EQ(Parsed("1.5s"), milliseconds(1'500));
  EXPECT_EQ(Parsed("2m"), milliseconds(120'000));
  EXPECT_EQ(Parsed("1h"), milliseconds(3'600'000));
}

TEST(ParseDurationTest, BadTextNamesTheFlag) {
  for (const char* text : {"", "abc", "1.2.3s", "5d", "-1s"}) {
    auto d = ParseDuration(text, "--lease-ttl");
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(d.status().message().find("--lease-ttl"), std::string::npos) << d.status().message();
  }
}

TEST(FormatDurationTest, ShortestTextThatParsesBack) {
  EXPECT_EQ(FormatDuration(milliseconds(30'000)), "30s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(1'500)), "1500ms");
  EXPECT_EQ(FormatDuration(milliseconds(120'000)), "2m");
  EXPECT_EQ(FormatDuration(milliseconds(7'200'000)), "2h");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  for (int64_t ms : {1, 999, 1'000, 59'000, 60'000, 61'000, 3'600'000, 5'400'000}) {
    EXPECT_EQ(Parsed(FormatDuration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

// `ltsweep coordinator --help` shows these, formatted from the options.
TEST(FormatDurationTest, CoordinatorDefaults) {
  const coordinator::CoordinatorOptions defaults;
  EXPECT_EQ(FormatDuration(defaults.lease_ttl), "30s");
  EXPECT_EQ(FormatDuration(defaults.heartbeat_interval), "5s");
  EXPECT_EQ(FormatDuration(defaults.idle_retry), "1s");
}

TEST(ExitCodeForTest, UserInputIsUsageElseFailure) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), kExitOk);
  EXPECT_EQ(ExitCodeFor(InvalidArgumentError("x")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(NotFoundError("x")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(InternalError("x")), kExitFailure);
  EXPECT_THROW(ThrowIfError(InvalidArgumentError("x")), CommandError);
  EXPECT_NO_THROW(ThrowIfError(Status::Ok()));
}

}  // namespace
}  // namespace ltsweep::cli
