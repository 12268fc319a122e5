// Vocabulary and sequence encoding of the IMDB track.
//
// Vocabulary: the `max_features` most frequent tokens of the training
// documents (total occurrences, as Keras' Tokenizer(num_words) and
// scikit-learn's CountVectorizer(max_features) rank them); ties are broken by
// the token's byte order, so the result does not depend on document order.
// Token ranks are 0..size()-1 (most frequent first). Feature column j of the
// bag-of-words matrices is rank j; sequence id of a token is rank + 1, and 0
// is the padding id.
//
// Encoding: out-of-vocabulary tokens are dropped (as Keras' Tokenizer does
// with num_words), then the sequence is truncated to its first `max_len` ids
// or padded at the end with 0 ("post" padding and truncation; the BiLSTM
// packs sequences by their true length, so padding never reaches it).
//
// Thread-safety: Vocabulary is immutable after construction; const methods
// are safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ltsweep::trainer::text {

inline constexpr int32_t kPadId = 0;

class Vocabulary {
 public:
  Vocabulary() = default;
  // Takes tokens in rank order (most frequent first).
  explicit Vocabulary(std::vector<std::string> tokens);

  // Counts tokens over `docs` and keeps the `max_features` most frequent.
  static Vocabulary Build(const std::vector<std::vector<std::string>>& docs, int64_t max_features);

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  // Rank of `token`, or -1 when it is not in the vocabulary.
  int32_t Rank(std::string_view token) const;

  // Ranks of the in-vocabulary tokens of `doc`, in order (OOV dropped).
  std::vector<int32_t> Ranks(const std::vector<std::string>& doc) const;

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> index_;
};

// Which tokens a review longer than data.max_len keeps (data.truncate):
// kPre drops tokens at the start, keeping the last max_len (Keras'
// pad_sequences default, truncating='pre'); kPost keeps the first max_len.
enum class Truncation { kPre, kPost };
// "pre" / "post" (the schema has checked the value).
Truncation ParseTruncation(const std::string& name);

// Sequence ids (rank + 1) of `ranks`, truncated to `max_len` as `truncation`
// says and padded with kPadId at the end; writes exactly max_len ids to `out`
// and returns the true length (<= max_len).
int64_t EncodeSequence(const std::vector<int32_t>& ranks, int64_t max_len, int64_t* out,
                       Truncation truncation = Truncation::kPost);

}  // namespace ltsweep::trainer::text
