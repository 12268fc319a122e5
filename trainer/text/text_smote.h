// SMOTE and borderline-SMOTE on sparse feature vectors (bag-of-words or
// TF-IDF rows) for the linear models of the IMDB track, with the semantics of
// imbalanced-learn 0.10 for two classes (sampling_strategy="auto": the
// minority class is oversampled up to the size of the majority class):
//
//   smote        k minority nearest neighbours of every minority sample
//                (Euclidean, the sample itself excluded); each synthetic
//                sample picks a (sample, neighbour) pair uniformly and a step
//                t ~ U[0, 1): x + t (x_nn - x).
//   borderline1  danger set: minority samples with m/2 <= (majority samples
//                among their m nearest neighbours in the whole set) < m; new
//                samples are made from danger samples and their k minority
//                neighbours as above. No danger samples: nothing is added.
//   borderline2  a fraction f ~ Beta(10, 10) of the new samples as
//                borderline1; the rest from a danger sample toward one of its
//                k nearest majority neighbours with t ~ U[0, 0.5). (The
//                imbalanced-learn 0.10 code indexes the majority samples with
//                minority-neighbour positions; we use the majority
//                neighbours, as the borderline-SMOTE paper describes.)
//
// The random stream is std::mt19937 seeded with `seed` (train.seed), not
// numpy's, so the samples differ from imbalanced-learn's while following the
// same rules. Synthetic rows are appended after the original rows.
//
// The BiLSTM does not use this: its method.oversample smote runs on the
// pre-padded token-id sequences, as the report did (sequence_smote.h).
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config_schema.h"
#include "common/status.h"
#include "trainer/text/features.h"

namespace ltsweep::trainer::text {

struct TextSmoteOptions {
  std::string kind = "smote";  // method.oversample: smote, borderline1, borderline2
  int64_t k = SchemaDefault<int64_t>("method.smote_k");
  int64_t m = SchemaDefault<int64_t>("method.smote_m");  // borderline only
  uint32_t seed = SchemaDefault<uint32_t>("train.seed");
  int threads = 1;
};

struct SyntheticOrigin {
  int64_t base = 0;      // row of x the sample starts from
  int64_t toward = 0;    // row of x it moves toward
  double step = 0;       // t in x_base + t (x_toward - x_base)
};

struct TextSmoteResult {
  CsrMatrix x;                          // original rows, then synthetic rows
  std::vector<int> y;
  std::vector<SyntheticOrigin> origin;  // one per synthetic row
  int64_t danger_count = -1;            // borderline: size of the danger set
};

StatusOr<TextSmoteResult> OversampleSparse(const CsrMatrix& x, const std::vector<int>& y,
                                           const TextSmoteOptions& options);

}  // namespace ltsweep::trainer::text
