#include "trainer/text/trial_common.h"

#include <fmt/format.h>

#include "common/trainer_contract.h"
#include "trainer/core/errors.h"
#include "trainer/text/imbalance.h"

namespace ltsweep::trainer::text {

TextData LoadTrialData(const nlohmann::json& config, int threads) {
  auto options = TextDataOptions::FromConfig(config);
  if (!options.ok()) throw ConfigError(options.status().message());
  options->threads = threads;
  auto data = PrepareTextData(*options);
  if (!data.ok()) {
    if (data.status().code() == StatusCode::kInvalidArgument) throw ConfigError(data.status().message());
    // Not there (or not readable) on this node: another worker may have it.
    if (data.status().code() == StatusCode::kNotFound || data.status().code() == StatusCode::kPermissionDenied) {
      throw CannotRunHere(data.status().message());
    }
    throw DataError(data.status().message());
  }
  TextData out = std::move(data).value();
  const auto& d = config.at("data");
  uint32_t seed = d.at("imbalance").at("seed").get<uint32_t>();
  int64_t limit_train = d.at("limit_train").get<int64_t>();
  int64_t limit_test = d.at("limit_test").get<int64_t>();
  if (limit_train > 0) out.train = out.train.Subset(StratifiedLimit(out.train.labels, limit_train, seed));
  if (limit_test > 0) out.test = out.test.Subset(StratifiedLimit(out.test.labels, limit_test, seed + 7));
  auto counts = out.train.ClassCounts();
  if (counts[0] == 0 || counts[1] == 0)
    throw DataError(fmt::format("data.imbalance.keep_fraction: the training split has {} negative and {} positive "
                                "reviews; both classes are needed",
                                counts[0], counts[1]));
  return out;
}

nlohmann::json StartFields(const nlohmann::json& config, const TextData& data, double prepare_s) {
  nlohmann::json f;
  f["dataset"] = "imdb";
  f["arch"] = config.at("model").at("arch");
  auto tc = data.train.ClassCounts();
  f["train_class_counts"] = {tc[0], tc[1]};
  f["class_names"] = {"neg", "pos"};
  f["train_size"] = data.train.size();
  f["dev_size"] = data.dev.size();
  f["test_size"] = data.test.size();
  auto dc = data.dev.ClassCounts();
  auto sc = data.test.ClassCounts();
  f["dev_class_counts"] = {dc[0], dc[1]};
  f["test_class_counts"] = {sc[0], sc[1]};
  f["vocab_size"] = data.vocab.size();
  f["cache_file"] = data.cache_file;
  f["cache_hit"] = data.from_cache;
  f["prepare_s"] = prepare_s;
  return f;
}

void DoneTracker::Add(int epoch, const BinaryMetrics& val) {
  if (best_epoch_ < 0 || val.error < best_.error) {
    best_epoch_ = epoch;
    best_ = val;
  }
  last_epoch_ = epoch;
  last_ = val;
}

nlohmann::json DoneTracker::Fields() const {
  nlohmann::json f;
  f[contract::kFieldBestEpoch] = best_epoch_;
  f["last_epoch"] = last_epoch_;
  f[contract::kFieldBestValError] = best_.error;
  f[contract::kFieldLastValError] = last_.error;
  f["error_pos"] = last_.error_pos;
  f["error_neg"] = last_.error_neg;
  f["mean_error"] = last_.mean_error;
  f["best_error_pos"] = best_.error_pos;
  f["best_error_neg"] = best_.error_neg;
  f["best_mean_error"] = best_.mean_error;
  return f;
}

}  // namespace ltsweep::trainer::text
