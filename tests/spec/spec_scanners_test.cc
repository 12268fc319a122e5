// The hand-written scanners under the spec parser: plain-scalar typing
// (spec/yaml_scalar.h) and the raw-text checks (spec/text_checks.h).
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "spec/text_checks.h"
#include "spec/yaml_scalar.h"

namespace ltsweep::spec::internal {
namespace {

TEST(PlainScalarTest, ClassifiesAsTheCoreSchema) {
  using T = PlainScalarType;
  for (const char* s : {"", "~", "null", "Null", "NULL"}) EXPECT_EQ(ClassifyPlainScalar(s), T::kNull) << s;
  for (const char* s : {"true", "True", "TRUE"}) EXPECT_EQ(ClassifyPlainScalar(s), T::kTrue) << s;
  for (const char* s : {"false", "False", "FALSE"}) EXPECT_EQ(ClassifyPlainScalar(s), T::kFalse) << s;
  for (const char* s : {"0", "-7", "+7", "007", "123456789012345678901234567890"})
    EXPECT_EQ(ClassifyPlainScalar(s), T::kInt) << s;
  for (const char* s : {"1.5", ".5", "5.", "-0.25", "1e-4", "1E+4", "+.5e3", "2.e1"})
    EXPECT_EQ(ClassifyPlainScalar(s), T::kFloat) << s;
  for (const char* s : {".inf", "-.Inf", "+.INF", ".nan", ".NaN", ".NAN"})
    EXPECT_EQ(ClassifyPlainScalar(s), T::kInfNan) << s;
  for (const char* s : {"nULL", "yes", "on", ".", "-", "+", "1e", "e5", "1.2.3", "1e+", "0x10", "1_000", " 1", "1 ",
                        "-.nan", "inf", "ldam", "1,5", ".e1"})
    EXPECT_EQ(ClassifyPlainScalar(s), T::kString) << s;
}

TEST(PlainScalarTest, ConvertsToJson) {
  EXPECT_EQ(PlainScalarToJson("~"), Json(nullptr));
  EXPECT_EQ(PlainScalarToJson("True"), Json(true));
  EXPECT_EQ(PlainScalarToJson("+42"), Json(int64_t{42}));
  EXPECT_EQ(PlainScalarToJson("-9223372036854775808"), Json(std::numeric_limits<int64_t>::min()));
  // Beyond int64: a double.
  Json big = PlainScalarToJson("9223372036854775808");
  ASSERT_TRUE(big.is_number_float());
  EXPECT_EQ(big.get<double>(), 9223372036854775808.0);
  EXPECT_EQ(PlainScalarToJson("1e-4").get<double>(), 1e-4);
  EXPECT_EQ(PlainScalarToJson(".5").get<double>(), 0.5);
  EXPECT_EQ(PlainScalarToJson("+.5e1").get<double>(), 5.0);
  EXPECT_EQ(PlainScalarToJson("0.1").get<double>(), 0.1);
  // Too small for a double: zero, keeping the sign.
  EXPECT_EQ(PlainScalarToJson("1e-400").get<double>(), 0.0);
  EXPECT_TRUE(std::signbit(PlainScalarToJson("-1e-400").get<double>()));
  EXPECT_EQ(PlainScalarToJson(".inf"), Json(".inf"));
  EXPECT_EQ(PlainScalarToJson("ldam"), Json("ldam"));
}

TEST(PlainScalarTest, OutOfRangeNumbers) {
  EXPECT_FALSE(IsNumberOutOfRange("1.7e308"));
  EXPECT_TRUE(IsNumberOutOfRange("1.8e308"));
  EXPECT_TRUE(IsNumberOutOfRange("-1e400"));
  EXPECT_TRUE(IsNumberOutOfRange(std::string(309, '9')));
  EXPECT_FALSE(IsNumberOutOfRange(std::string(308, '9')));
  EXPECT_TRUE(IsNumberOutOfRange(std::string(30'000, '7')));
  EXPECT_TRUE(IsNumberOutOfRange("1e99999999999999999999999"));
  EXPECT_FALSE(IsNumberOutOfRange("0." + std::string(30'000, '0') + "1"));  // tiny, becomes 0
  EXPECT_FALSE(IsNumberOutOfRange(std::string(30'000, '0')));
  EXPECT_FALSE(IsNumberOutOfRange("0e99999"));
  EXPECT_FALSE(IsNumberOutOfRange("ldam"));
  EXPECT_FALSE(IsNumberOutOfRange(".inf"));
}

TEST(TextChecksTest, FindsTheFirstInvalidUtf8Byte) {
  EXPECT_EQ(FindInvalidUtf8("plain ascii"), -1);
  EXPECT_EQ(FindInvalidUtf8("caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x8E\x89 \xF4\x8F\xBF\xBF"), -1);
  EXPECT_EQ(FindInvalidUtf8("caf\xE9"), 3);           // Latin-1
  EXPECT_EQ(FindInvalidUtf8("ab\xC3"), 2);            // truncated
  EXPECT_EQ(FindInvalidUtf8("\xC0\xAF"), 0);          // overlong
  EXPECT_EQ(FindInvalidUtf8("x\xE0\x80\x80"), 1);     // overlong
  EXPECT_EQ(FindInvalidUtf8("xy\xED\xA0\x80"), 2);    // surrogate
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0);  // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\x80"), 0);              // a lone continuation byte
  EXPECT_EQ(FindInvalidUtf8("\xE2\x98" "x"), 0);      // a short sequence
}

TEST(TextChecksTest, EstimatesNesting) {
  EXPECT_EQ(EstimateNestingDepth("").depth, 0);
  EXPECT_EQ(EstimateNestingDepth("a: 1\nb: 2\n").depth, 1);
  EXPECT_EQ(EstimateNestingDepth("a:\n  b:\n    c: 1\nd: 2\n").depth, 3);
  EXPECT_EQ(EstimateNestingDepth("a: [[1], {b: [2]}]\n").depth, 4);
  EXPECT_EQ(EstimateNestingDepth("a:\n- - - x\n").depth, 4);
  // Brackets inside quotes, comments and plain scalars do not count.
  EXPECT_EQ(EstimateNestingDepth("a: '[[[' # [[[\nb: \"[\\\"[[\"\nc: x[[[\n").depth, 1);
  EXPECT_EQ(EstimateNestingDepth("a: ['it''s [', \"[\"]\n").depth, 2);
  // A flow collection over several lines keeps its depth.
  NestingEstimate e = EstimateNestingDepth("a: [\n  [\n    [1]]]\nb: 1\n");
  EXPECT_EQ(e.depth, 4);
  EXPECT_EQ(e.line, 3);
  // The scan stops early once past the threshold.
  NestingEstimate deep = EstimateNestingDepth("a: " + std::string(100'000, '[') + "\n", 10);
  EXPECT_EQ(deep.depth, 11);
  EXPECT_EQ(deep.line, 1);
}

}  // namespace
}  // namespace ltsweep::spec::internal
