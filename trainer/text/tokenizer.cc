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

// Length of the apostrophe + "t" of a negated contraction starting at text[i]
// ("'t" or U+2019 "t", followed by a non-letter or the end), or 0.
size_t ContractionTailLength(std::string_view text, size_t i) {
  size_t apostrophe = 0;
  if (text[i] == '\'') {
    apostrophe = 1;
  } else if (text.substr(i, 3) == "\xe2\x80\x99") {
    apostrophe = 3;
  } else {
    return 0;
  }
  size_t t = i + apostrophe;
  if (t >= text.size() || Lower(text[t]) != 't') return 0;
  if (t + 1 < text.size() && IsAsciiLetter(text[t + 1])) return 0;
  return apostrophe + 1;
}

}  // namespace

std::vector<std::string> Tokenize(std::string_view text, TokenizeOptions options) {
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
    } else if (size_t n = 0; options.join_negated_contractions && !cur.empty() && cur.back() == 'n' &&
                             (n = ContractionTailLength(text, i)) > 0) {
      cur.push_back('t');
      i += n;
      continue;
    } else {
      flush();
    }
    ++i;
  }
  flush();
  return tokens;
}

std::vector<std::string> PreprocessReview(std::string_view text, StopWordList list) {
  std::vector<std::string> out;
  TokenizeOptions options;
  options.join_negated_contractions = list != StopWordList::kSklearn;
  for (auto& tok : Tokenize(text, options)) {
    if (IsStopWord(tok, list)) continue;
    std::string lemma = Lemmatize(tok);
    if (lemma.size() < 2 || IsStopWord(lemma, list)) continue;
    out.push_back(std::move(lemma));
  }
  return out;
}

}  // namespace ltsweep::trainer::text
