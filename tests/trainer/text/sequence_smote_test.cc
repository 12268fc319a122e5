// SMOTE on pre-padded token-id sequences (trainer/text/sequence_smote.h), the
// report's SMOTE row of Table 1.
#include "trainer/text/sequence_smote.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "trainer/core/errors.h"

namespace ltsweep::trainer::text {
namespace {

TEST(PrePadIds, PadsAtTheStartAndKeepsTheLastTokens) {
  std::vector<double> out(4, -1);
  PrePadIds({5, 0}, 4, out.data());
  EXPECT_EQ(out, (std::vector<double>{0, 0, 6, 1}));
  PrePadIds({1, 2, 3, 4, 5, 6}, 4, out.data());
  EXPECT_EQ(out, (std::vector<double>{4, 5, 6, 7}));  // ranks 3..6 + 1
}

TextSplit Reviews() {
  TextSplit split;
  // 3 negatives (label 0) of distinct lengths, 8 positives.
  split.docs = {{10, 20, 30}, {40, 50}, {60, 70, 80, 90, 100}};
  split.labels = {0, 0, 0};
  for (int i = 0; i < 8; ++i) {
    split.docs.push_back({i, i + 1});
    split.labels.push_back(1);
  }
  return split;
}

TEST(OversampleSequences, BringsTheMinorityUpWithIntegerInterpolations) {
  const TextSplit train = Reviews();
  SequenceSmoteOptions o;
  o.max_len = 4;
  o.k_neighbors = 2;
  o.seed = 3;
  TextSplit out = OversampleSequences(train, o);
  ASSERT_EQ(out.size(), 16);  // 5 synthetic negatives: 8 of each
  EXPECT_EQ(out.ClassCounts()[0], 8);
  for (int64_t i = 0; i < train.size(); ++i) EXPECT_EQ(out.docs[static_cast<size_t>(i)], train.docs[static_cast<size_t>(i)]);
  // Every synthetic id (rank + 1) lies between the two negatives' ids at its
  // position, rounded down: position-wise, within [min, max] over negatives.
  std::vector<double> lo(4, 1e9), hi(4, -1);
  for (int r = 0; r < 3; ++r) {
    std::vector<double> ids(4);
    PrePadIds(train.docs[static_cast<size_t>(r)], 4, ids.data());
    for (int j = 0; j < 4; ++j) {
      lo[static_cast<size_t>(j)] = std::min(lo[static_cast<size_t>(j)], ids[static_cast<size_t>(j)]);
      hi[static_cast<size_t>(j)] = std::max(hi[static_cast<size_t>(j)], ids[static_cast<size_t>(j)]);
    }
  }
  for (int64_t i = train.size(); i < out.size(); ++i) {
    EXPECT_EQ(out.labels[static_cast<size_t>(i)], 0);
    const auto& doc = out.docs[static_cast<size_t>(i)];
    ASSERT_LE(doc.size(), 4u);
    ASSERT_GE(doc.size(), 2u);  // positions 2 and 3 are real ids in every negative
    // The last id sits at position 3.
    EXPECT_GE(doc.back() + 1, lo[3]);
    EXPECT_LE(doc.back() + 1, hi[3]);
  }
  // Deterministic in the seed.
  EXPECT_EQ(OversampleSequences(train, o).docs, out.docs);
}

TEST(OversampleSequences, TooFewMinorityReviewsIsADataError) {
  SequenceSmoteOptions o;
  o.max_len = 4;
  o.k_neighbors = 5;  // only 3 negatives
  EXPECT_THROW(OversampleSequences(Reviews(), o), DataError);
}

}  // namespace
}  // namespace ltsweep::trainer::text
