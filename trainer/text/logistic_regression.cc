#include "trainer/text/linear_models.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include <fmt/format.h>

namespace ltsweep::trainer::text {
namespace {

// log(1 + exp(z)), stable.
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }
double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  double e = std::exp(z);
  return e / (1.0 + e);
}

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

std::array<double, 2> BalancedClassWeights(const std::vector<int>& y) {
  std::array<double, 2> counts{0, 0};
  for (int l : y) counts[static_cast<size_t>(l)] += 1;
  double n = static_cast<double>(y.size());
  return {counts[0] > 0 ? n / (2 * counts[0]) : 0.0, counts[1] > 0 ? n / (2 * counts[1]) : 0.0};
}

Status LogisticRegression::Fit(const CsrMatrix& x, const std::vector<int>& y, const std::vector<double>& sample_weight) {
  const int64_t n = x.rows(), d = x.cols;
  if (static_cast<int64_t>(y.size()) != n) return InvalidArgumentError("logreg: labels and rows differ in number");
  if (!sample_weight.empty() && static_cast<int64_t>(sample_weight.size()) != n)
    return InvalidArgumentError("logreg: sample weights and rows differ in number");
  const double c = options_.c;
  // Parameters theta = [w (d), b].
  const size_t p = static_cast<size_t>(d) + 1;
  std::vector<double> theta(p, 0.0), grad(p), z(static_cast<size_t>(n));
  auto eval = [&](const std::vector<double>& th, std::vector<double>& g) {
    double loss = 0;
    for (size_t j = 0; j + 1 < p; ++j) loss += 0.5 * th[j] * th[j];
    std::copy(th.begin(), th.end() - 1, g.begin());
    g[p - 1] = 0;
    for (int64_t i = 0; i < n; ++i) {
      double yi = y[static_cast<size_t>(i)] == 1 ? 1.0 : -1.0;
      double si = sample_weight.empty() ? 1.0 : sample_weight[static_cast<size_t>(i)];
      double zi = x.RowDot(i, th.data()) + th[p - 1];
      loss += c * si * Softplus(-yi * zi);
      double coef = -c * si * yi * Sigmoid(-yi * zi);  // d loss / d z_i
      for (int64_t k = x.indptr[static_cast<size_t>(i)]; k < x.indptr[static_cast<size_t>(i) + 1]; ++k)
        g[static_cast<size_t>(x.indices[static_cast<size_t>(k)])] += coef * x.values[static_cast<size_t>(k)];
      g[p - 1] += coef;
    }
    return loss;
  };
  auto max_abs = [](const std::vector<double>& v) {
    double m = 0;
    for (double e : v) m = std::max(m, std::fabs(e));
    return m;
  };
  constexpr size_t kMemory = 10;
  std::deque<std::vector<double>> s_hist, y_hist;
  std::deque<double> rho_hist;
  double f = eval(theta, grad);
  std::vector<double> dir(p), next(p), next_grad(p);
  iterations_ = 0;
  for (int it = 0; it < options_.max_iter; ++it) {
    if (max_abs(grad) < options_.tol) break;
    // Two-loop recursion: dir = -H grad.
    dir = grad;
    std::vector<double> alpha(s_hist.size());
    for (size_t h = s_hist.size(); h-- > 0;) {
      alpha[h] = rho_hist[h] * Dot(s_hist[h], dir);
      for (size_t j = 0; j < p; ++j) dir[j] -= alpha[h] * y_hist[h][j];
    }
    double gamma = 1.0;
    if (!s_hist.empty()) gamma = Dot(s_hist.back(), y_hist.back()) / Dot(y_hist.back(), y_hist.back());
    else gamma = 1.0 / std::max(1.0, max_abs(grad));
    for (double& e : dir) e *= gamma;
    for (size_t h = 0; h < s_hist.size(); ++h) {
      double beta = rho_hist[h] * Dot(y_hist[h], dir);
      for (size_t j = 0; j < p; ++j) dir[j] += s_hist[h][j] * (alpha[h] - beta);
    }
    for (double& e : dir) e = -e;
    double slope = Dot(grad, dir);
    if (slope >= 0) {  // not a descent direction: restart with steepest descent
      s_hist.clear(); y_hist.clear(); rho_hist.clear();
      for (size_t j = 0; j < p; ++j) dir[j] = -grad[j] / std::max(1.0, max_abs(grad));
      slope = Dot(grad, dir);
    }
    double step = 1.0, f_next = 0;
    bool accepted = false;
    for (int ls = 0; ls < 40; ++ls) {
      for (size_t j = 0; j < p; ++j) next[j] = theta[j] + step * dir[j];
      f_next = eval(next, next_grad);
      if (f_next <= f + 1e-4 * step * slope) { accepted = true; break; }
      step *= 0.5;
    }
    if (!accepted) break;
    std::vector<double> s(p), yv(p);
    for (size_t j = 0; j < p; ++j) { s[j] = next[j] - theta[j]; yv[j] = next_grad[j] - grad[j]; }
    double sy = Dot(s, yv);
    if (sy > 1e-12) {
      s_hist.push_back(std::move(s)); y_hist.push_back(std::move(yv)); rho_hist.push_back(1.0 / sy);
      if (s_hist.size() > kMemory) { s_hist.pop_front(); y_hist.pop_front(); rho_hist.pop_front(); }
    }
    theta.swap(next);
    grad.swap(next_grad);
    double f_prev = f;
    f = f_next;
    ++iterations_;
    if (std::fabs(f_prev - f) <= 1e-10 * std::max({1.0, std::fabs(f), std::fabs(f_prev)})) break;
  }
  final_loss_ = f;
  w_.assign(theta.begin(), theta.end() - 1);
  b_ = theta.back();
  return Status::Ok();
}

std::vector<double> LogisticRegression::DecisionFunction(const CsrMatrix& x) const {
  std::vector<double> out(static_cast<size_t>(x.rows()));
  for (int64_t i = 0; i < x.rows(); ++i) out[static_cast<size_t>(i)] = x.RowDot(i, w_.data()) + b_;
  return out;
}

std::vector<int> LogisticRegression::Predict(const CsrMatrix& x) const {
  std::vector<int> out;
  for (double z : DecisionFunction(x)) out.push_back(z > 0 ? 1 : 0);
  return out;
}

}  // namespace ltsweep::trainer::text
