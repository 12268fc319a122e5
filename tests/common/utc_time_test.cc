#include "common/utc_time.h"

#include <gtest/gtest.h>

namespace ltsweep {
namespace {

constexpr int64_t kJan2 = 1767323045678;  // 2026-01-02T03:04:05.678Z

TEST(UtcTimeTest, Millis) {
  EXPECT_EQ(FormatUtcMillis(kJan2), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(FormatUtcMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcMillis(kJan2 - 678 + 7), "2026-01-02T03:04:05.007Z");
}

TEST(UtcTimeTest, Seconds) {
  EXPECT_EQ(FormatUtcSeconds(kJan2), "2026-01-02 03:04:05");
  EXPECT_EQ(FormatUtcSeconds(0), "1970-01-01 00:00:00");
}

TEST(UtcTimeTest, MinutesEndWithUtc) {
  EXPECT_EQ(FormatUtcMinutes(kJan2), "2026-01-02 03:04 UTC");
  // Truncated, never rounded up to the next minute.
  EXPECT_EQ(FormatUtcMinutes(kJan2 + 54'000), "2026-01-02 03:04 UTC");
}

}  // namespace
}  // namespace ltsweep
