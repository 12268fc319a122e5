#include "trainer/text/tokenizer.h"

#include "trainer/text/lemmatizer.h"
#include "trainer/text/stop_words.h"

namespace ltsweep::trainer::text {
namespace {

inline bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Length of an HTML line break starting at text[i] ("<br", optional spaces,
// optional "/", ">"), or 0.
size_t LineBreakLength(std::string_view text, size_t i) {
  if (i + 3 >= text.size() + 0 || text[i] != '<') return 0;
  if (Lower(text[i + 1]) != 'b' || Lower(text[i + 2]) != 'r') return 0;
  size_t j = i + 3;
  while (j < text.size() && text[j] == ' ') ++j;
  if (j < text.size() && text[j] == '/') ++j;
  if (j < text.size() && text[j] == '>') return j + 1 - i;
  return 0;
}

}  // namespace

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string cur;
  auto flush = [&] {
    if (cur.size() >= 2) tokens.push_back(cur);
    cur.clear();
  };
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '<') {
      size_t n = LineBreakLength(text, i);
      if (n > 0) {
        flush();
        i += n;
        continue;
      }
    }
    if (IsAsciiLetter(c)) {
      cur.push_back(Lower(c));
    } else {
      flush();
    }
    ++i;
  }
  flush();
  return tokens;
}

std::vector<std::string> PreprocessReview(std::string_view text) {
  std::vector<std::string> out;
  for (auto& tok : Tokenize(text)) {
    if (IsStopWord(tok)) continue;
    std::string lemma = Lemmatize(tok);
    if (lemma.size() < 2 || IsStopWord(lemma)) continue;
    out.push_back(std::move(lemma));
  }
  return out;
}

}  // namespace ltsweep::trainer::text
