#include "trainer/text/text_smote.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"

namespace ltsweep::trainer::text {
namespace {

using Dense = std::vector<std::vector<double>>;

// Majority (label 1) around (0, 0, 0); minority (label 0) around (4, 4, 0)
// plus three on the majority's edge, so borderline-SMOTE has a danger set.
struct Points {
  Dense x;
  std::vector<int> y;
};

Points MakePoints() {
  Points p;
  std::mt19937 rng(5);
  std::normal_distribution<double> n(0.0, 0.6);
  for (int i = 0; i < 40; ++i) {
    p.x.push_back({n(rng), n(rng), std::fabs(n(rng))});
    p.y.push_back(1);
  }
  // Three minority points on the majority's edge (the danger set: a few
  // minority neighbours, mostly majority ones), seven in their own cluster.
  const double edge[3][3] = {{1.4, 1.4, 0.2}, {1.5, 1.3, 0.3}, {1.3, 1.6, 0.1}};
  for (const auto& e : edge) {
    p.x.push_back({e[0], e[1], e[2]});
    p.y.push_back(0);
  }
  for (int i = 0; i < 7; ++i) {
    p.x.push_back({4.0 + n(rng) * 0.5, 4.0 + n(rng) * 0.5, std::fabs(n(rng))});
    p.y.push_back(0);
  }
  return p;
}

CsrMatrix ToCsr(const Dense& d) {
  CsrMatrix m;
  m.cols = 3;
  for (const auto& row : d) {
    std::vector<std::pair<int32_t, float>> r;
    for (int32_t c = 0; c < 3; ++c)
      if (row[static_cast<size_t>(c)] != 0) r.emplace_back(c, static_cast<float>(row[static_cast<size_t>(c)]));
    m.AppendRow(r);
  }
  return m;
}

std::vector<double> RowOf(const CsrMatrix& m, int64_t r) {
  std::vector<double> out(static_cast<size_t>(m.cols), 0.0);
  for (int64_t k = m.indptr[static_cast<size_t>(r)]; k < m.indptr[static_cast<size_t>(r) + 1]; ++k)
    out[static_cast<size_t>(m.indices[static_cast<size_t>(k)])] = m.values[static_cast<size_t>(k)];
  return out;
}

double Dist2(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

// Brute force: the k nearest rows of `among` to row i (excluding i itself).
std::vector<int64_t> Nearest(const Dense& x, const std::vector<int64_t>& among, int64_t i, int64_t k) {
  std::vector<std::pair<double, int64_t>> d;
  for (int64_t j : among)
    if (j != i) d.emplace_back(Dist2(x[static_cast<size_t>(i)], x[static_cast<size_t>(j)]), j);
  std::sort(d.begin(), d.end());
  std::vector<int64_t> out;
  for (int64_t q = 0; q < k && q < static_cast<int64_t>(d.size()); ++q) out.push_back(d[static_cast<size_t>(q)].second);
  return out;
}

// True when s = a + t (b - a) for some t in [0, t_max] (float tolerance).
bool OnSegment(const std::vector<double>& s, const std::vector<double>& a, const std::vector<double>& b, double t_max) {
  double num = 0, den = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    num += (s[i] - a[i]) * (b[i] - a[i]);
    den += (b[i] - a[i]) * (b[i] - a[i]);
  }
  double t = den > 0 ? num / den : 0.0;
  if (t < -1e-6 || t > t_max + 1e-6) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (std::fabs(a[i] + t * (b[i] - a[i]) - s[i]) > 1e-4) return false;
  return true;
}

class TextSmoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pts_ = MakePoints();
    for (size_t i = 0; i < pts_.y.size(); ++i) (pts_.y[i] == 0 ? minority_ : majority_).push_back(static_cast<int64_t>(i));
    all_ = minority_;
    all_.insert(all_.end(), majority_.begin(), majority_.end());
  }
  std::vector<int64_t> DangerSet(int64_t m) {
    std::vector<int64_t> danger;
    for (int64_t i : minority_) {
      int64_t n_maj = 0;
      for (int64_t j : Nearest(pts_.x, all_, i, m)) n_maj += pts_.y[static_cast<size_t>(j)] == 1;
      if (2 * n_maj >= m && n_maj < m) danger.push_back(i);
    }
    return danger;
  }
  Points pts_;
  std::vector<int64_t> minority_, majority_, all_;
};

TEST_F(TextSmoteTest, SmoteSamplesLieBetweenAMinorityPointAndAMinorityNeighbour) {
  TextSmoteOptions o;
  o.k = 3;
  o.seed = 11;
  auto r = OversampleSparse(ToCsr(pts_.x), pts_.y, o);
  ASSERT_OK(r);
  ASSERT_EQ(r->x.rows(), 80);  // minority brought up to 40
  EXPECT_EQ(std::count(r->y.begin(), r->y.end(), 0), 40);
  for (int64_t s = 50; s < 80; ++s) {
    auto row = RowOf(r->x, s);
    bool found = false;
    for (int64_t i : minority_) {
      for (int64_t j : Nearest(pts_.x, minority_, i, o.k))
        found = found || OnSegment(row, pts_.x[static_cast<size_t>(i)], pts_.x[static_cast<size_t>(j)], 1.0);
    }
    EXPECT_TRUE(found) << "synthetic row " << s << " is on no minority segment";
  }
  // Same seed, same samples; another seed, others.
  auto again = OversampleSparse(ToCsr(pts_.x), pts_.y, o);
  ASSERT_OK(again);
  EXPECT_EQ(again->x.values, r->x.values);
  o.seed = 12;
  auto other = OversampleSparse(ToCsr(pts_.x), pts_.y, o);
  ASSERT_OK(other);
  EXPECT_NE(other->x.values, r->x.values);
}

TEST_F(TextSmoteTest, Borderline1StartsFromTheDangerSetOnly) {
  TextSmoteOptions o;
  o.kind = "borderline1";
  o.k = 3;
  o.m = 6;
  auto danger = DangerSet(o.m);
  ASSERT_FALSE(danger.empty()) << "fixture needs a danger set";
  ASSERT_LT(danger.size(), minority_.size());
  auto r = OversampleSparse(ToCsr(pts_.x), pts_.y, o);
  ASSERT_OK(r);
  EXPECT_EQ(r->danger_count, static_cast<int64_t>(danger.size()));
  ASSERT_EQ(r->x.rows(), 80);
  for (int64_t s = 50; s < 80; ++s) {
    auto row = RowOf(r->x, s);
    bool found = false;
    for (int64_t i : danger) {
      for (int64_t j : Nearest(pts_.x, minority_, i, o.k))
        found = found || OnSegment(row, pts_.x[static_cast<size_t>(i)], pts_.x[static_cast<size_t>(j)], 1.0);
    }
    EXPECT_TRUE(found) << "synthetic row " << s;
  }
}

TEST_F(TextSmoteTest, Borderline2AlsoStepsHalfwayTowardMajorityNeighbours) {
  TextSmoteOptions o;
  o.kind = "borderline2";
  o.k = 3;
  o.m = 6;
  auto danger = DangerSet(o.m);
  auto r = OversampleSparse(ToCsr(pts_.x), pts_.y, o);
  ASSERT_OK(r);
  ASSERT_EQ(r->x.rows(), 80);
  int toward_majority = 0;
  for (int64_t s = 50; s < 80; ++s) {
    auto row = RowOf(r->x, s);
    bool found = false;
    for (int64_t i : danger) {
      for (int64_t j : Nearest(pts_.x, minority_, i, o.k))
        found = found || OnSegment(row, pts_.x[static_cast<size_t>(i)], pts_.x[static_cast<size_t>(j)], 1.0);
      for (int64_t j : Nearest(pts_.x, majority_, i, o.k)) {
        if (OnSegment(row, pts_.x[static_cast<size_t>(i)], pts_.x[static_cast<size_t>(j)], 0.5)) {
          found = true;
          ++toward_majority;
        }
      }
    }
    EXPECT_TRUE(found) << "synthetic row " << s;
  }
  EXPECT_GT(toward_majority, 0);
}

TEST_F(TextSmoteTest, TooFewMinoritySamplesIsAConfigError) {
  TextSmoteOptions o;
  o.k = 10;
  auto r = OversampleSparse(ToCsr(pts_.x), pts_.y, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("method.smote_k"), std::string::npos);
}

}  // namespace
}  // namespace ltsweep::trainer::text
