#include "trainer/text/linear_models.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/testing/test_util.h"
#include "trainer/text/features.h"
#include "trainer/text/text_dataset.h"
#include "trainer/text/text_metrics.h"

namespace ltsweep::trainer::text {
namespace {

using ltsweep::testing::SourceDir;
using ltsweep::testing::TempDir;

TEST(FeatureExtractor, TfidfMatchesScikitLearnsFormula) {
  // docs over 3 terms: {0,0,1}, {1,2}, {2}
  std::vector<std::vector<int32_t>> docs = {{0, 0, 1}, {1, 2}, {2}};
  FeatureExtractor fx(FeatureKind::kTfidf, 3);
  fx.Fit(docs);
  // idf = ln((1+3)/(1+df)) + 1, df = {1, 2, 2}
  EXPECT_NEAR(fx.idf()[0], std::log(4.0 / 2.0) + 1, 1e-12);
  EXPECT_NEAR(fx.idf()[1], std::log(4.0 / 3.0) + 1, 1e-12);
  CsrMatrix m = fx.Transform(docs);
  ASSERT_EQ(m.rows(), 3);
  double a = 2 * fx.idf()[0], b = fx.idf()[1];
  double norm = std::sqrt(a * a + b * b);
  EXPECT_EQ(m.indices[0], 0);
  EXPECT_NEAR(m.values[0], a / norm, 1e-6);
  EXPECT_NEAR(m.values[1], b / norm, 1e-6);
  EXPECT_NEAR(m.values[4], 1.0, 1e-6);  // the single-term row is unit length

  FeatureExtractor bow(FeatureKind::kBow, 3), bin(FeatureKind::kBinary, 3);
  EXPECT_EQ(bow.Transform(docs).values, (std::vector<float>{2, 1, 1, 1, 1}));
  EXPECT_EQ(bin.Transform(docs).values, (std::vector<float>{1, 1, 1, 1, 1}));
}

TEST(LogisticRegression, MatchesAClosedFormOptimumOnOneFeature) {
  // One binary feature, no sample weights. With x in {0, 1} the optimum
  // satisfies the gradient equations; check the gradient is ~0 at the fit.
  CsrMatrix x;
  x.cols = 1;
  std::vector<int> y;
  for (int i = 0; i < 40; ++i) {
    bool on = i % 2 == 0;
    x.AppendRow(on ? std::vector<std::pair<int32_t, float>>{{0, 1.0f}} : std::vector<std::pair<int32_t, float>>{});
    y.push_back(on ? (i % 10 != 0) : (i % 6 == 1));
  }
  LogisticRegression lr({/*c=*/2.0, /*max_iter=*/500, /*tol=*/1e-8});
  ASSERT_OK(lr.Fit(x, y));
  double w = lr.coef()[0], b = lr.intercept();
  double gw = w, gb = 0;
  for (int i = 0; i < 40; ++i) {
    double xi = i % 2 == 0 ? 1.0 : 0.0;
    double p = 1 / (1 + std::exp(-(w * xi + b)));
    gw += 2.0 * (p - y[static_cast<size_t>(i)]) * xi;
    gb += 2.0 * (p - y[static_cast<size_t>(i)]);
  }
  EXPECT_NEAR(gw, 0, 1e-5);
  EXPECT_NEAR(gb, 0, 1e-5);
  EXPECT_GT(w, 0);
}

class FixtureModels : public ::testing::Test {
 protected:
  void SetUp() override {
    TextDataOptions o;
    o.root = (SourceDir() / "tests/trainer/text/fixtures/aclImdb").string();
    o.cache_dir = (dir_.path() / "cache").string();
    o.keep_fraction = 1.0;
    o.val_split = 0.0;
    o.max_features = 60;
    auto data = PrepareTextData(o);
    ASSERT_OK(data);
    data_ = std::move(data).value();
  }
  CsrMatrix Features(FeatureKind kind, const TextSplit& split) {
    FeatureExtractor fx(kind, data_.vocab.size());
    fx.Fit(data_.train.docs);
    return fx.Transform(split.docs);
  }
  // Test error of `pred`; chance is 0.5 on the balanced fixture test set.
  double Error(const std::vector<int>& pred) { return ComputeBinaryMetrics(data_.test.labels, pred).error; }

  TempDir dir_;
  TextData data_;
};

TEST_F(FixtureModels, LogisticRegressionBeatsChance) {
  for (auto kind : {FeatureKind::kBow, FeatureKind::kBinary, FeatureKind::kTfidf}) {
    LogisticRegression lr({/*c=*/10.0});
    ASSERT_OK(lr.Fit(Features(kind, data_.train), data_.train.labels));
    EXPECT_LT(Error(lr.Predict(Features(kind, data_.test))), 0.25);
  }
  // Balanced weights on an imbalanced cut still fit.
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < data_.train.size(); ++i)
    if (data_.train.labels[static_cast<size_t>(i)] == 1 || i % 3 == 0) rows.push_back(i);
  TextSplit imb = data_.train.Subset(rows);
  auto cw = BalancedClassWeights(imb.labels);
  EXPECT_GT(cw[0], cw[1]);
  std::vector<double> sw;
  for (int l : imb.labels) sw.push_back(cw[static_cast<size_t>(l)]);
  LogisticRegression lr({/*c=*/10.0});
  ASSERT_OK(lr.Fit(Features(FeatureKind::kTfidf, imb), imb.labels, sw));
  EXPECT_LT(Error(lr.Predict(Features(FeatureKind::kTfidf, data_.test))), 0.25);
}

TEST_F(FixtureModels, NaiveBayesBeatsChance) {
  BernoulliNaiveBayes nb;
  ASSERT_OK(nb.Fit(Features(FeatureKind::kBinary, data_.train), data_.train.labels));
  EXPECT_LT(Error(nb.Predict(Features(FeatureKind::kBinary, data_.test))), 0.25);
}

TEST_F(FixtureModels, KnnBeatsChance) {
  KnnClassifier knn(3);
  ASSERT_OK(knn.Fit(Features(FeatureKind::kTfidf, data_.train), data_.train.labels));
  EXPECT_LT(Error(knn.Predict(Features(FeatureKind::kTfidf, data_.test))), 0.25);
}

TEST_F(FixtureModels, XgboostBeatsChanceOrSaysItIsMissing) {
  XgbOptions xo;
  xo.rounds = 20;
  xo.max_depth = 2;
  xo.eta = 0.5;
  XgbClassifier xgb(xo);
  Status st = xgb.Fit(Features(FeatureKind::kBinary, data_.train), data_.train.labels);
  if (!XgbClassifier::Available()) {
    EXPECT_EQ(st.code(), StatusCode::kUnimplemented);
    return;
  }
  ASSERT_OK(st);
  auto pred = xgb.Predict(Features(FeatureKind::kBinary, data_.test));
  ASSERT_OK(pred);
  EXPECT_LT(Error(*pred), 0.4);
}

TEST(BinaryMetrics, Table1Triple) {
  // 4 neg (1 wrong), 6 pos (3 wrong)
  std::vector<int> truth = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  std::vector<int> pred = {0, 0, 0, 1, 1, 1, 1, 0, 0, 0};
  auto m = ComputeBinaryMetrics(truth, pred);
  EXPECT_DOUBLE_EQ(m.error_neg, 0.25);
  EXPECT_DOUBLE_EQ(m.error_pos, 0.5);
  EXPECT_DOUBLE_EQ(m.mean_error, 0.375);
  EXPECT_DOUBLE_EQ(m.error, 0.4);
  EXPECT_EQ(m.confusion[1][0], 3);
  // precision neg 3/6, pos 3/4; recall neg 3/4, pos 3/6
  EXPECT_DOUBLE_EQ(m.macro_precision, (0.5 + 0.75) / 2);
  EXPECT_DOUBLE_EQ(m.macro_recall, (0.75 + 0.5) / 2);
  EXPECT_DOUBLE_EQ(m.macro_f1, 0.6);
}

}  // namespace
}  // namespace ltsweep::trainer::text
