#include "worker/lease_validation.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "common/config_schema.h"

namespace ltsweep::worker {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDataKeys[] = {"data.root", "data.cache_dir"};

// Absolute, normalised, symlinks of the existing part followed, no trailing
// separator.
StatusOr<fs::path> Resolve(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::path(path);
  if (p.is_relative()) {
    const fs::path cwd = fs::current_path(ec);
    if (ec) return InternalError(fmt::format("cannot read the current folder: {}", ec.message()));
    p = cwd / p;
  }
  fs::path resolved = fs::weakly_canonical(p, ec);
  if (ec) return InvalidArgumentError(fmt::format("cannot resolve {}: {}", path, ec.message()));
  resolved = resolved.lexically_normal();
  if (!resolved.has_filename() && resolved != resolved.root_path()) resolved = resolved.parent_path();
  return resolved;
}

// True when `path` is `root` or lies below it (both resolved).
bool IsInside(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

std::string Brief(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return text.size() > 80 ? out + "..." : out;
}

Status CheckIds(const LeaseFields& lease) {
  if (lease.trial_id <= 0) {
    return InvalidArgumentError(fmt::format("lease trial_id: {} is not a positive id", lease.trial_id));
  }
  if (lease.attempt < 1) {
    return InvalidArgumentError(fmt::format("lease attempt: {} is below 1", lease.attempt));
  }
  if (!IsLowerHex(lease.token, 32)) {
    return InvalidArgumentError(fmt::format("lease token: \"{}\" is not 32 lower-case hex digits", Brief(lease.token)));
  }
  if (!IsLowerHex(lease.config_hash, 64)) {
    return InvalidArgumentError(
        fmt::format("lease config_hash: \"{}\" is not 64 lower-case hex digits", Brief(lease.config_hash)));
  }
  return Status::Ok();
}

StatusOr<Json> CheckConfig(const std::string& text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return InvalidArgumentError(
        fmt::format("lease config_json: {} bytes, more than the worker's limit of {}", text.size(), max_bytes));
  }
  Json config = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    return InvalidArgumentError("lease config_json: not a JSON object");
  }
  auto resolved = ResolveTrialConfig(config);
  if (!resolved.ok()) return InvalidArgumentError("lease config_json: " + resolved.status().message());
  return resolved;
}

}  // namespace

DataRootPolicy::DataRootPolicy(const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    if (root.empty() || root.find('\0') != std::string::npos) continue;
    auto resolved = Resolve(root);
    if (resolved.ok() && std::find(roots_.begin(), roots_.end(), *resolved) == roots_.end()) {
      roots_.push_back(*resolved);
    }
  }
}

Status DataRootPolicy::Check(const std::string& key, const std::string& path) const {
  if (path.find('\0') != std::string::npos) {
    return InvalidArgumentError(fmt::format("{}: the path holds a NUL byte", key));
  }
  auto resolved = Resolve(path);
  if (!resolved.ok()) return InvalidArgumentError(fmt::format("{}: {}", key, resolved.status().message()));
  for (const fs::path& root : roots_) {
    if (IsInside(*resolved, root)) return Status::Ok();
  }
  std::string allowed;
  for (const fs::path& root : roots_) allowed += (allowed.empty() ? "" : ", ") + root.string();
  return PermissionDeniedError(fmt::format(
      "{}: {} (resolved: {}) is outside the data folders this worker allows ({}); start the worker with "
      "--data-root to allow it",
      key, Brief(path), Brief(resolved->string()), allowed.empty() ? "none" : allowed));
}

std::vector<std::string> DefaultDataRoots() {
  std::vector<std::string> roots = {"/usr/share/datasets"};
  const char* cache = std::getenv("LTSWEEP_CACHE_DIR");
  const char* home = std::getenv("HOME");
  if (cache != nullptr && cache[0] != '\0') {
    roots.emplace_back(cache);
  } else if (home != nullptr && home[0] != '\0') {
    roots.push_back((fs::path(home) / ".cache" / "ltsweep").string());
  }
  return roots;
}

std::vector<std::string> DataFoldersOfConfigs(const std::vector<std::string>& config_jsons) {
  std::vector<std::string> folders;
  for (const std::string& text : config_jsons) {
    const Json config = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object()) continue;
    for (const char* key : kDataKeys) {
      const Json* value = GetPath(config, key);
      if (value == nullptr || !value->is_string()) continue;
      const std::string folder = value->get<std::string>();
      if (!folder.empty() && std::find(folders.begin(), folders.end(), folder) == folders.end()) {
        folders.push_back(folder);
      }
    }
  }
  return folders;
}

bool IsLowerHex(const std::string& text, size_t digits) {
  return text.size() == digits && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Status ValidateLease(const LeaseFields& lease, const DataRootPolicy& policy, size_t max_config_bytes) {
  LTSWEEP_RETURN_IF_ERROR(CheckIds(lease));
  auto config = CheckConfig(lease.config_json, max_config_bytes);
  if (!config.ok()) return config.status();
  for (const char* key : kDataKeys) {
    const Json* value = GetPath(*config, key);
    if (value == nullptr || !value->is_string() || value->get<std::string>().empty()) continue;
    LTSWEEP_RETURN_IF_ERROR(policy.Check(key, value->get<std::string>()));
  }
  return Status::Ok();
}

bool RefusalMayRunElsewhere(const Status& refusal) { return refusal.code() == StatusCode::kPermissionDenied; }

}  // namespace ltsweep::worker
