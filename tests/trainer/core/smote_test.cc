#include "trainer/core/smote.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/trainer/golden_util.h"
#include "trainer/core/errors.h"

namespace ltsweep::trainer {
namespace {

struct Data {
  std::vector<double> x;  // row-major n x 2
  std::vector<int32_t> y;
  int64_t n() const { return static_cast<int64_t>(y.size()); }
};

Data GoldenData(const nlohmann::json& g, bool with_class2 = false) {
  Data d;
  for (const auto& row : g["data"]["X"]) {
    for (double v : row) d.x.push_back(v);
  }
  d.y = g["data"]["y"].get<std::vector<int32_t>>();
  if (with_class2) {
    for (const auto& row : g["three_class_example"]["extra_class2_X"]) {
      for (double v : row) d.x.push_back(v);
      d.y.push_back(2);
    }
  }
  return d;
}

std::vector<int64_t> ExactKnn(const std::vector<float>& data, int64_t n, const std::vector<float>& q, int64_t nq,
                              int64_t d, int k) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < nq; ++i) {
    std::vector<std::pair<double, int64_t>> all;
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t c = 0; c < d; ++c) {
        double diff = static_cast<double>(q[i * d + c]) - data[j * d + c];
        s += diff * diff;
      }
      all.push_back({s, j});
    }
    std::sort(all.begin(), all.end());
    for (int t = 0; t < k; ++t) out.push_back(all[t].second);
  }
  return out;
}

TEST(SmoteTest, NotMajorityStrategy) {
  std::vector<int32_t> y = {2, 0, 0, 1, 2, 2, 0, 3};
  auto s = NotMajoritySamplingStrategy(y.data(), static_cast<int64_t>(y.size()));
  // Majority: the lowest label with the largest count (0 and 2 both have 3).
  EXPECT_EQ(s, (std::vector<std::pair<int32_t, int64_t>>{{1, 2}, {2, 0}, {3, 2}}));
}

TEST(SmoteTest, BlockedNeighbourSearchMatchesBruteForce) {
  // Large enough for the blocked float path; duplicates test the index tie-break.
  const int64_t n = 700, nq = 150, d = 67;
  std::mt19937 g(3);
  std::uniform_real_distribution<float> u(0.0f, 255.0f);
  std::vector<float> data(n * d), q(nq * d);
  for (auto& v : data) v = std::round(u(g));
  for (int64_t c = 0; c < d; ++c) data[5 * d + c] = data[9 * d + c];  // row 9 duplicates row 5
  for (auto& v : q) v = std::round(u(g));
  for (int64_t c = 0; c < d; ++c) q[c] = data[9 * d + c];  // query 0 equals rows 5 and 9
  auto expected = ExactKnn(data, n, q, nq, d, 6);
  EXPECT_EQ(KNearestNeighbors(data.data(), n, q.data(), nq, d, 6, 1), expected);
  EXPECT_EQ(KNearestNeighbors(data.data(), n, q.data(), nq, d, 6, 3), expected);
  EXPECT_EQ(expected[0], 5);
  EXPECT_EQ(expected[1], 9);
}

TEST(SmoteTest, SmoteOnALineInterpolatesWithinTheClass) {
  // Class 0: 10 points, class 1: 4 points on the segment x in [100, 103].
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int i = 0; i < 10; ++i) x.push_back(static_cast<float>(i)), y.push_back(0);
  for (int i = 0; i < 4; ++i) x.push_back(100.0f + i), y.push_back(1);
  SmoteOptions o;
  o.k_neighbors = 2;
  auto r = Oversample(x.data(), static_cast<int64_t>(y.size()), 1, y.data(), o);
  ASSERT_EQ(r.y_new.size(), 6u);
  for (size_t i = 0; i < r.y_new.size(); ++i) {
    EXPECT_EQ(r.y_new[i], 1);
    EXPECT_GE(r.x_new[i], 100.0f);
    EXPECT_LE(r.x_new[i], 103.0f);
  }
  // Deterministic: the same seed gives the same rows.
  EXPECT_EQ(Oversample(x.data(), static_cast<int64_t>(y.size()), 1, y.data(), o).x_new, r.x_new);
  o.k_neighbors = 4;  // needs 5 samples of class 1
  EXPECT_THROW(Oversample(x.data(), static_cast<int64_t>(y.size()), 1, y.data(), o), DataError);
}

TEST(SmoteTest, GoldenBorderline1DangerSetAndTrace) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["borderline_smote"];
  Data d = GoldenData(g);
  // The m-neighbours of every minority point (self excluded).
  auto minority = g["minority_indices_in_X"].get<std::vector<int64_t>>();
  std::vector<double> q;
  for (int64_t i : minority) q.insert(q.end(), d.x.begin() + 2 * i, d.x.begin() + 2 * i + 2);
  auto nn = KNearestNeighbors(d.x.data(), d.n(), q.data(), static_cast<int64_t>(minority.size()), 2, 11);
  auto expected_nn = g["m_neighbours_of_minority_excluding_self"].get<std::vector<std::vector<int64_t>>>();
  for (size_t i = 0; i < minority.size(); ++i) {
    EXPECT_EQ(std::vector<int64_t>(nn.begin() + i * 11 + 1, nn.begin() + i * 11 + 11), expected_nn[i]) << i;
  }

  SmoteOptions o;
  o.kind = SmoteKind::kBorderline1;
  auto r = Oversample(d.x.data(), d.n(), 2, d.y.data(), o);
  ASSERT_EQ(r.classes.size(), 1u);
  const auto& info = r.classes[0];
  EXPECT_EQ(info.label, 1);
  EXPECT_EQ(info.n_requested, 48);  // sampling_strategy_ {1: 48}
  EXPECT_EQ(info.n_generated, 48);
  EXPECT_EQ(info.n_other_among_m, (std::vector<int>{6, 3, 6, 3, 3, 5, 5, 4, 5, 6, 6, 10}));
  EXPECT_EQ(info.danger_rows, g["danger_indices_in_X"].get<std::vector<int64_t>>());
  EXPECT_EQ(info.danger_rows, (std::vector<int64_t>{60, 62, 65, 66, 68, 69, 70}));
  EXPECT_EQ(info.noise_rows, (std::vector<int64_t>{71}));

  const auto& trace = g["generation_trace"];
  // k-neighbours of the danger rows among the minority rows.
  std::vector<double> x_min(d.x.begin() + 2 * 60, d.x.end());
  std::vector<double> x_danger;
  for (int64_t i : info.danger_rows) x_danger.insert(x_danger.end(), d.x.begin() + 2 * i, d.x.begin() + 2 * i + 2);
  auto knn = KNearestNeighbors(x_min.data(), 12, x_danger.data(), 7, 2, 6);
  auto expected_knn = trace["k_neighbours_of_danger_rows_within_minority"].get<std::vector<std::vector<int64_t>>>();
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(std::vector<int64_t>(knn.begin() + i * 6 + 1, knn.begin() + i * 6 + 6), expected_knn[i]) << i;
  }
  SampleDraws draws = DrawSamples(0, 48, 7, 5, 1.0);
  auto flat = trace["flat_pair_index"].get<std::vector<int64_t>>();
  for (size_t i = 0; i < 48; ++i) EXPECT_EQ(draws.rows[i] * 5 + draws.cols[i], flat[i]) << i;
  EXPECT_EQ(draws.rows, trace["row"].get<std::vector<int64_t>>());
  EXPECT_EQ(draws.cols, trace["col"].get<std::vector<int64_t>>());
  EXPECT_EQ(draws.steps, trace["step"].get<std::vector<double>>());

  auto expected = g["synthetic_samples"].get<std::vector<std::vector<double>>>();
  ASSERT_EQ(r.x_new.size(), 96u);
  for (size_t i = 0; i < 48; ++i) {
    EXPECT_EQ(r.x_new[2 * i], expected[i][0]) << i;
    EXPECT_EQ(r.x_new[2 * i + 1], expected[i][1]) << i;
    EXPECT_EQ(r.y_new[i], 1);
  }
}

TEST(SmoteTest, GoldenBorderline2CountsOf010) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["borderline_smote"];
  Data d = GoldenData(g);
  SmoteOptions o;
  o.kind = SmoteKind::kBorderline2;
  auto r = Oversample(d.x.data(), d.n(), 2, d.y.data(), o);
  ASSERT_EQ(r.classes.size(), 1u);
  EXPECT_EQ(r.classes[0].borderline2_fraction, g["borderline2_v010"]["beta_fraction"].get<double>());
  EXPECT_EQ(r.classes[0].n_toward_class, 29);
  EXPECT_EQ(r.classes[0].n_toward_other, 19);
  EXPECT_EQ(r.classes[0].n_generated, 48);
  EXPECT_EQ(r.y_new.size(), 48u);
}

TEST(SmoteTest, GoldenSmoteSameData) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["borderline_smote"];
  Data d = GoldenData(g);
  auto r = Oversample(d.x.data(), d.n(), 2, d.y.data(), SmoteOptions{});
  ASSERT_EQ(r.y_new.size(), 48u);
  auto first3 = g["smote_same_data"]["first_3_synthetic"].get<std::vector<std::vector<double>>>();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.x_new[2 * i], first3[i][0]) << i;
    EXPECT_EQ(r.x_new[2 * i + 1], first3[i][1]) << i;
  }
  // The float path computes the same points up to float rounding.
  std::vector<float> xf(d.x.begin(), d.x.end());
  auto rf = Oversample(xf.data(), d.n(), 2, d.y.data(), SmoteOptions{});
  ASSERT_EQ(rf.x_new.size(), r.x_new.size());
  for (size_t i = 0; i < rf.x_new.size(); ++i) EXPECT_NEAR(rf.x_new[i], r.x_new[i], 1e-5) << i;
}

TEST(SmoteTest, GoldenThreeClassExample) {
  LTSWEEP_REQUIRE_SHARED();
  auto g = testing::LoadGolden()["borderline_smote"];
  Data d = GoldenData(g, /*with_class2=*/true);
  SmoteOptions o;
  o.kind = SmoteKind::kBorderline1;
  auto r = Oversample(d.x.data(), d.n(), 2, d.y.data(), o);
  ASSERT_EQ(r.classes.size(), 2u);
  EXPECT_EQ(r.classes[0].label, 1);
  EXPECT_EQ(r.classes[0].n_requested, 48);
  EXPECT_EQ(r.classes[0].n_generated, 48);
  EXPECT_EQ(r.classes[1].label, 2);
  EXPECT_EQ(r.classes[1].n_requested, 40);
  EXPECT_EQ(r.classes[1].n_generated, 0);  // no danger rows: stays imbalanced
  auto s = Oversample(d.x.data(), d.n(), 2, d.y.data(), SmoteOptions{});
  ASSERT_EQ(s.classes.size(), 2u);
  EXPECT_EQ(s.classes[0].n_generated, 48);
  EXPECT_EQ(s.classes[1].n_generated, 40);
  EXPECT_EQ(std::count(s.y_new.begin(), s.y_new.end(), 2), 40);
}

}  // namespace
}  // namespace ltsweep::trainer
