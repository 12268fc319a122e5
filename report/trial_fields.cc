#include "report/trial_fields.h"

#include <fmt/format.h>

namespace ltsweep::report {

namespace {

std::vector<int64_t> IntList(const nlohmann::json& j) {
  std::vector<int64_t> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (!v.is_number()) return {};
    out.push_back(v.get<int64_t>());
  }
  return out;
}

// Fills what is still empty in `info` from one payload.
void ReadClassInfoFrom(const nlohmann::json& payload, ClassInfo& info) {
  if (!payload.is_object()) return;
  for (const char* key : {"class_counts", "train_class_counts", "train_counts"}) {
    auto it = payload.find(key);
    if (it != payload.end() && info.counts.empty()) info.counts = IntList(*it);
  }
  for (const char* key : {"class_names", "classes"}) {
    auto it = payload.find(key);
    if (it != payload.end() && it->is_array() && info.names.empty()) {
      for (const auto& n : *it) info.names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
    }
  }
}

nlohmann::json Parse(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

const Series* FindSeries(const TrialHistory& trial, const std::string& name) {
  auto it = trial.metrics.scalars.find(name);
  return it == trial.metrics.scalars.end() ? nullptr : &it->second;
}

const std::vector<double>* PerClassAt(const TrialHistory& trial, const std::string& name, int epoch) {
  auto it = trial.metrics.per_class.find(name);
  if (it == trial.metrics.per_class.end()) return nullptr;
  auto e = it->second.find(epoch);
  return e == it->second.end() ? nullptr : &e->second;
}

nlohmann::json TrialConfig(const TrialHistory& trial) {
  nlohmann::json config = Parse(trial.trial.config_json);
  return config.is_discarded() ? nlohmann::json::object() : config;
}

Status CheckConfigs(const std::vector<TrialHistory>& trials) {
  for (const TrialHistory& t : trials) {
    if (Parse(t.trial.config_json).is_discarded()) {
      return DataLossError(fmt::format("trial {} has a config that is not JSON", t.trial.id));
    }
  }
  return Status::Ok();
}

ClassInfo ReadClassInfo(const TrialHistory& trial) {
  ClassInfo info;
  for (const char* kind : {"start", "done"}) {
    for (const PayloadRow& p : trial.metrics.payloads) {
      if (p.kind == kind) ReadClassInfoFrom(Parse(p.json), info);
    }
  }
  return info;
}

nlohmann::json LatestPayload(const TrialHistory& trial, const std::string& kind) {
  nlohmann::json latest;  // payloads are by epoch: the last that parses wins
  for (const PayloadRow& p : trial.metrics.payloads) {
    if (p.kind != kind) continue;
    nlohmann::json j = Parse(p.json);
    if (!j.is_discarded()) latest = std::move(j);
  }
  return latest;
}

bool IsSuccess(const TrialHistory& trial) {
  return trial.trial.state == TrialState::kSucceeded || trial.trial.state == TrialState::kLinked;
}

std::string RuntimeDeviceText(const std::optional<AttemptRuntime>& rt) { return rt ? rt->device : ""; }

std::string RuntimeThreadsText(const std::optional<AttemptRuntime>& rt) {
  return rt && rt->threads > 0 ? std::to_string(rt->threads) : "";
}

std::string RuntimeBlasText(const std::optional<AttemptRuntime>& rt) {
  if (!rt || rt->blas.empty()) return "";
  if (rt->blas_threads <= 0) return rt->blas;
  return rt->blas + " (" + std::to_string(rt->blas_threads) + (rt->blas_threads == 1 ? " thread)" : " threads)");
}

}  // namespace ltsweep::report
