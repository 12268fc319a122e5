#include "bench/search_replay/replay_set.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

namespace ltsweep::bench {

double ReplayTrial::Result() const {
  double best = INFINITY;
  for (double v : curve)
    if (!std::isnan(v)) best = std::min(best, v);
  return best;
}

const ReplayTrial* ReplaySet::Find(const std::vector<int>& choice) const {
  for (const ReplayTrial& t : trials)
    if (t.choice == choice) return &t;
  return nullptr;
}

size_t ReplaySet::BestTrial() const {
  size_t best = 0;
  for (size_t i = 1; i < trials.size(); ++i)
    if (trials[i].Result() < trials[best].Result()) best = i;
  return best;
}

StatusOr<ReplaySet> LoadReplaySet(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": cannot open the replay set");
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("trials") || !j.contains("axes"))
    return InvalidArgumentError(path + ": expected {name, axes, axis_values, epochs, trials}");
  ReplaySet set;
  try {
    set.name = j.value("name", path);
    set.axes = j["axes"].get<std::vector<std::string>>();
    set.axis_values = j["axis_values"].get<std::vector<std::vector<std::string>>>();
    set.epochs = j["epochs"].get<int>();
    for (const Json& t : j["trials"]) {
      ReplayTrial trial;
      trial.choice = t["choice"].get<std::vector<int>>();
      trial.label = t.value("label", "");
      for (const Json& v : t["curve"]) trial.curve.push_back(v.is_null() ? NAN : v.get<double>());
      if (t.contains("drw_epoch") && !t["drw_epoch"].is_null()) trial.drw_epoch = t["drw_epoch"].get<int64_t>();
      if (static_cast<int>(trial.curve.size()) != set.epochs)
        return InvalidArgumentError(fmt::format("{}: trial '{}' has {} epochs, not {}", path, trial.label,
                                                trial.curve.size(), set.epochs));
      set.trials.push_back(std::move(trial));
    }
  } catch (const Json::exception& e) {
    return InvalidArgumentError(path + ": " + e.what());
  }
  if (set.trials.empty()) return InvalidArgumentError(path + ": no trials");
  return set;
}

ReplaySet SyntheticFamily(uint64_t seed) {
  ReplaySet set;
  set.name = fmt::format("synthetic-late-bloomers-{}", seed);
  set.axes = {"train.lr", "method.loss", "method.defer"};
  const std::vector<double> lrs = {0.003, 0.01, 0.03, 0.1, 0.3, 1.0};
  set.axis_values = {{"0.003", "0.01", "0.03", "0.1", "0.3", "1.0"}, {"ce", "focal", "ldam"}, {"none", "drw"}};
  set.epochs = 30;
  constexpr int64_t kDrw = 20;
  std::mt19937_64 rng(seed * 7919 + 17);
  auto noise = [&](double scale) {
    return scale * (static_cast<double>(rng() >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  };
  const std::vector<double> loss_floor = {0.30, 0.29, 0.27};
  for (int l = 0; l < 6; ++l) {
    for (int k = 0; k < 3; ++k) {
      for (int d = 0; d < 2; ++d) {
        ReplayTrial t;
        t.choice = {l, k, d};
        t.label = fmt::format("lr={} loss={} defer={}", set.axis_values[0][l], set.axis_values[1][k],
                              set.axis_values[2][d]);
        // The best learning rate is 0.03 (a U in log lr), a per-member shift.
        const double lr_penalty = 0.04 * std::pow(std::log10(lrs[l]) + 1.5 + noise(0.3), 2);
        const double floor = loss_floor[k] + lr_penalty + noise(0.01);
        const double tau = 3.0 + 4.0 * (1.0 - std::min(1.0, lrs[l] / 0.1));  // small lr: slow
        // DRW trials train unbalanced first (a higher plateau: the minority
        // classes are ignored), then drop below the plain trials' floor.
        const double before = floor + 0.06;
        const double after = floor - 0.05 - 0.02 * (k == 2);  // LDAM-DRW gains most
        for (int e = 0; e < set.epochs; ++e) {
          const double start = 0.9;
          double v = floor + (start - floor) * std::exp(-e / tau);
          if (d == 1) {
            v = before + (start - before) * std::exp(-e / tau);
            if (e >= kDrw) v = after + (v - after) * std::exp(-(e - kDrw + 1) / 1.0);
          }
          t.curve.push_back(v + noise(0.004));
        }
        if (d == 1) t.drw_epoch = kDrw;
        set.trials.push_back(std::move(t));
      }
    }
  }
  return set;
}

Json ReplaySetToJson(const ReplaySet& set) {
  Json trials = Json::array();
  for (const ReplayTrial& t : set.trials) {
    Json curve = Json::array();
    for (double v : t.curve) curve.push_back(std::isnan(v) ? Json() : Json(v));
    trials.push_back({{"choice", t.choice}, {"label", t.label}, {"curve", curve},
                      {"drw_epoch", t.drw_epoch ? Json(*t.drw_epoch) : Json()}});
  }
  return {{"name", set.name}, {"axes", set.axes}, {"axis_values", set.axis_values}, {"epochs", set.epochs},
          {"trials", trials}};
}

}  // namespace ltsweep::bench
