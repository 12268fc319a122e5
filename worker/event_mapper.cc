#include "worker/event_mapper.h"

#include <fmt/format.h>

#include "common/trainer_contract.h"
#include "worker/output_limits.h"

namespace ltsweep::worker {
namespace {

using Json = nlohmann::json;
namespace c = contract;

v1::Payload MakePayload(int epoch, const std::string& name, const Json& value) {
  v1::Payload p;
  p.set_epoch(epoch);
  p.set_kind(name);
  p.set_json(value.dump(-1, ' ', false, Json::error_handler_t::replace));
  return p;
}

bool IsNumericArray(const Json& v) {
  if (!v.is_array() || v.empty()) return false;
  for (const auto& x : v) {
    if (!x.is_number()) return false;
  }
  return true;
}

// The runtime fields of a start event. A field missing, of the wrong type or
// out of range stays at its zero value (a trainer older than the fields);
// texts are cut to kMaxRuntimeText bytes.
constexpr size_t kMaxRuntimeText = 256;
constexpr int64_t kMaxRuntimeThreads = 1 << 20;

v1::AttemptRuntime RuntimeOf(const Json& start) {
  v1::AttemptRuntime rt;
  auto integer = [&](const char* key) -> int32_t {
    auto it = start.find(key);
    if (it == start.end() || !it->is_number_integer()) return 0;
    const int64_t v = it->get<int64_t>();
    return v < 0 || v > kMaxRuntimeThreads ? 0 : static_cast<int32_t>(v);
  };
  auto text = [&](const char* key) {
    auto it = start.find(key);
    if (it == start.end() || !it->is_string()) return std::string();
    return TruncateUtf8(ToValidUtf8(it->get<std::string>()), kMaxRuntimeText);
  };
  rt.set_threads(integer(c::kFieldThreads));
  rt.set_blas(text(c::kFieldBlas));
  rt.set_blas_threads(integer(c::kFieldBlasThreads));
  rt.set_device(text(c::kFieldDevice));
  return rt;
}

}  // namespace

StatusOr<MappedEvent> MapTrainerLine(const std::string& line, int last_epoch) {
  if (JsonNestsDeeperThan(line, kMaxJsonDepth)) {
    return InvalidArgumentError(fmt::format("trainer output nested deeper than {} levels, ignored: {}", kMaxJsonDepth,
                                            EscapeForLog(line)));
  }
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("trainer output is not a JSON object: " + EscapeForLog(line));
  }
  auto ev = j.find(c::kFieldEvent);
  if (ev == j.end() || !ev->is_string()) {
    return InvalidArgumentError("trainer output has no \"event\": " + EscapeForLog(line));
  }
  const std::string kind = ev->get<std::string>();
  MappedEvent out;
  if (kind == c::kEventStart) {
    out.kind = EventKind::kStart;
    out.payloads.push_back(MakePayload(-1, c::kEventStart, j));
    out.runtime = RuntimeOf(j);
  } else if (kind == c::kEventDone) {
    out.kind = EventKind::kDone;
    out.payloads.push_back(MakePayload(last_epoch, c::kEventDone, j));
  } else if (kind == c::kEventCheckpoint) {
    out.kind = EventKind::kCheckpoint;
  } else if (kind == c::kEventEpoch) {
    auto e = j.find(c::kFieldEpoch);
    if (e == j.end() || !e->is_number_integer() || e->get<int64_t>() < 0) {
      return InvalidArgumentError("trainer epoch event without a non-negative integer \"epoch\": " +
                                  EscapeForLog(line));
    }
    out.kind = EventKind::kEpoch;
    out.epoch = e->get<int>();
    static const std::string kPerClass = c::kPerClassPrefix;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const Json& v = it.value();
      // "replayed" (trainer contract) says where the event came from, not what
      // was measured: a replayed epoch stores exactly what the original did.
      if (key == c::kFieldEpoch || key == c::kFieldEvent || key == c::kFieldReplayed || v.is_null()) continue;
      if (v.is_number()) {
        v1::MetricRow row;
        row.set_epoch(out.epoch);
        row.set_name(key);
        row.set_value(v.get<double>());
        row.set_class_index(-1);
        out.rows.push_back(std::move(row));
      } else if (key.size() > kPerClass.size() && key.compare(0, kPerClass.size(), kPerClass) == 0 &&
                 IsNumericArray(v)) {
        const std::string name = key.substr(kPerClass.size());
        for (size_t c = 0; c < v.size(); ++c) {
          v1::MetricRow row;
          row.set_epoch(out.epoch);
          row.set_name(name);
          row.set_value(v[c].get<double>());
          row.set_class_index(static_cast<int>(c));
          out.rows.push_back(std::move(row));
        }
      } else {
        out.payloads.push_back(MakePayload(out.epoch, key, v));
      }
    }
  }
  return out;
}

}  // namespace ltsweep::worker
