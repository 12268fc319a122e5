#include "spec/text_checks.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace ltsweep::spec::internal {
namespace {

// 1-based line of byte `offset`.
int64_t LineAt(std::string_view text, size_t offset) {
  return 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
}

// Length of the UTF-8 sequence that lead byte `c` starts, and the allowed
// range of its second byte (narrower for E0, ED, F0 and F4, which excludes
// overlong forms, surrogates and code points above U+10FFFF); 0 when `c`
// cannot start a sequence.
int Utf8Length(unsigned char c, unsigned char& lo, unsigned char& hi) {
  lo = 0x80;
  hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The state of EstimateNestingDepth's scan between lines.
struct NestingScan {
  std::vector<size_t> indents;  // block indentation levels open
  int flow = 0;                 // open [ and { brackets
  char quote = 0;               // ' or " while inside a quoted scalar
  NestingEstimate worst;

  void Note(int depth, int line) {
    if (depth > worst.depth) worst = {depth, line};
  }

  // Indentation and compact entries ("- - x") at the start of a line in
  // block context; returns where the line's content starts and sets `block`.
  size_t StartLine(std::string_view s, size_t begin, size_t end, int& block) {
    size_t j = begin;
    while (j < end && s[j] == ' ') ++j;
    if (j == end || s[j] == '#' || s[j] == '\r') return j;  // blank or comment only
    size_t indent = j - begin;
    while (!indents.empty() && indents.back() >= indent) indents.pop_back();
    indents.push_back(indent);
    block = static_cast<int>(indents.size());
    while (j < end && (s[j] == '-' || s[j] == '?') && (j + 1 == end || IsBlank(s[j + 1]) || s[j + 1] == '\r')) {
      ++block;
      ++j;
      while (j < end && IsBlank(s[j])) ++j;
    }
    return j;
  }

  // Scans s[j, end) for quotes, brackets and a comment.
  void ScanContent(std::string_view s, size_t begin, size_t j, size_t end, int block, int line, int stop_above) {
    for (; j < end; ++j) {
      const char c = s[j];
      if (quote == '"') {
        if (c == '\\') ++j;
        else if (c == '"') quote = 0;
        continue;
      }
      if (quote == '\'') {
        if (c == '\'' && j + 1 < end && s[j + 1] == '\'') ++j;  // '' is a quote inside
        else if (c == '\'') quote = 0;
        continue;
      }
      const bool token_start = j == begin || IsBlank(s[j - 1]) ||
                               (flow > 0 && (s[j - 1] == '[' || s[j - 1] == '{' || s[j - 1] == ','));
      if (c == '#' && (j == begin || IsBlank(s[j - 1]))) return;
      if ((c == '\'' || c == '"') && token_start) {
        quote = c;
      } else if ((c == '[' || c == '{') && (flow > 0 || token_start)) {
        ++flow;
        Note(block + flow, line);
        if (stop_above > 0 && worst.depth > stop_above) return;
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
    }
  }
};

}  // namespace

int64_t FindInvalidUtf8(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    unsigned char lo, hi;
    const int len = Utf8Length(c, lo, hi);
    if (len == 0 || i + static_cast<size_t>(len) > n) return static_cast<int64_t>(i);
    const auto c1 = static_cast<unsigned char>(text[i + 1]);
    if (c1 < lo || c1 > hi) return static_cast<int64_t>(i);
    for (int k = 2; k < len; ++k) {
      const auto ck = static_cast<unsigned char>(text[i + static_cast<size_t>(k)]);
      if (ck < 0x80 || ck > 0xBF) return static_cast<int64_t>(i);
    }
    i += static_cast<size_t>(len);
  }
  return -1;
}

NestingEstimate EstimateNestingDepth(std::string_view text, int stop_above) {
  NestingScan scan;
  int line = 1;
  for (size_t begin = 0; begin < text.size(); ++line) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    int block = static_cast<int>(scan.indents.size());
    size_t j = begin;
    if (scan.quote == 0 && scan.flow == 0) j = scan.StartLine(text, begin, end, block);
    scan.Note(block + scan.flow, line);
    scan.ScanContent(text, begin, j, end, block, line, stop_above);
    if (stop_above > 0 && scan.worst.depth > stop_above) break;
    begin = end + 1;
  }
  return scan.worst;
}

Status SpecTooLargeError(const std::string& file, int64_t size, bool size_known, const SpecLimits& limits) {
  return InvalidArgumentError(fmt::format("{}: the spec is {}{} bytes, more than the limit of {} KiB ({} bytes)",
                                            file, size_known ? "" : "over ", size, limits.max_bytes / 1024,
                                            limits.max_bytes));
}

Status CheckSpecText(std::string_view text, const std::string& file, const SpecLimits& limits) {
  if (static_cast<int64_t>(text.size()) > limits.max_bytes)
    return SpecTooLargeError(file, static_cast<int64_t>(text.size()), true, limits);
  if (size_t nul = text.find('\0'); nul != std::string_view::npos)
    return InvalidArgumentError(fmt::format("{}:{}: byte offset {}: a NUL byte; a sweep spec is UTF-8 text", file,
                                            LineAt(text, nul), nul));
  if (int64_t bad = FindInvalidUtf8(text); bad >= 0)
    return InvalidArgumentError(fmt::format(
        "{}:{}: byte offset {}: invalid UTF-8 (byte 0x{:02X}); a sweep spec is UTF-8 text (Latin-1? convert it "
        "with iconv -f latin1 -t utf-8)",
        file, LineAt(text, static_cast<size_t>(bad)), bad, static_cast<unsigned char>(text[static_cast<size_t>(bad)])));
  const int threshold = 2 * limits.max_depth;
  NestingEstimate nesting = EstimateNestingDepth(text, threshold);
  if (nesting.depth > threshold)
    return InvalidArgumentError(fmt::format(
        "{}:{}: nested too deeply: more than {} levels of brackets, indentation or '- ' entries by a quick count; "
        "the limit is {} levels",
        file, nesting.line, threshold, limits.max_depth));
  return Status::Ok();
}

}  // namespace ltsweep::spec::internal
