// SMOTE on token-id sequences for the BiLSTM (method.oversample: smote with
// model.arch: bilstm), made the way the reproduction report made its "SMOTE"
// row of Table 1: Keras' pad_sequences (maxlen data.max_len, padding and
// truncating "pre": zeros first, the last tokens kept) turns every training
// review into a row of max_len integer ids (rank + 1, 0 = padding), and
// imbalanced-learn 0.10's SMOTE (sampling_strategy "auto", k_neighbors
// method.smote_k, random_state train.seed) runs on those rows as if they were
// coordinates: a synthetic row is x + t (x_nn - x), cast back to the input's
// integer type (truncation toward zero, as imblearn's astype(X.dtype)).
//
// Interpolated ids are not interpolated words (id 812 between 3 and 1620 is
// just some other word), so the synthetic reviews are noise that carries the
// minority label: the report's SMOTE row is its worst (21.34% vs ERM 16.48%).
// The row is reproduced for fidelity, not recommended (docs/text-track.md).
//
// A synthetic row becomes a review by dropping its zero ids (the common
// leading padding, and the few interior zeros where a pad was interpolated
// with an id below 1: the BiLSTM ignores padding, where Keras' LSTM without
// mask_zero would have read a learned padding vector there).
//
// Uses trainer/core/smote.h (numpy's random stream, so the draws are
// imblearn's). Thread-safety: pure function.
#pragma once

#include <cstdint>

#include "trainer/text/text_dataset.h"

namespace ltsweep::trainer::text {

struct SequenceSmoteOptions {
  int64_t max_len = 200;  // data.max_len
  int k_neighbors = 5;    // method.smote_k
  uint32_t seed = 0;      // train.seed
};

// `train` followed by the synthetic reviews (minority label), so both classes
// have the majority's count. Throws DataError when the minority class has at
// most k_neighbors reviews.
TextSplit OversampleSequences(const TextSplit& train, const SequenceSmoteOptions& options);

// Keras pad_sequences(padding="pre", truncating="pre") of one review's ranks:
// writes max_len ids (rank + 1; 0 first) to `out`.
void PrePadIds(const std::vector<int32_t>& ranks, int64_t max_len, double* out);

}  // namespace ltsweep::trainer::text
