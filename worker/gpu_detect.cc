#include "worker/gpu_detect.h"

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "worker/trainer_process.h"

namespace ltsweep::worker {

namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// The entries CUDA honours: up to the first empty or "-1" one.
std::vector<std::string> VisibleEntries(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    const std::string item = Trim(value.substr(start, end - start));
    if (item.empty() || item == "-1" || item == "none" || item == "NoDevFiles") break;
    out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::optional<std::string> RunNvidiaSmi() {
  const std::string smi = FindExecutable("nvidia-smi");
  if (smi.empty()) return std::nullopt;
  FILE* pipe = popen(("'" + smi + "' -L 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0 && out.size() < (1u << 20)) out.append(buf, n);
  if (pclose(pipe) != 0) return std::nullopt;
  return out;
}

}  // namespace

GpuDetection DetectGpus(const std::optional<std::string>& cuda_visible_devices,
                        const std::optional<std::string>& nvidia_smi_list) {
  GpuDetection d;
  int n = 0;
  if (cuda_visible_devices) {
    n = static_cast<int>(VisibleEntries(*cuda_visible_devices).size());
    d.source = "CUDA_VISIBLE_DEVICES";
  } else if (nvidia_smi_list) {
    size_t start = 0;
    while (start < nvidia_smi_list->size()) {
      size_t end = nvidia_smi_list->find('\n', start);
      if (end == std::string::npos) end = nvidia_smi_list->size();
      if (nvidia_smi_list->compare(start, 4, "GPU ") == 0) ++n;
      start = end + 1;
    }
    d.source = "nvidia-smi";
  }
  for (int i = 0; i < n; ++i) d.gpus.push_back(i);
  if (n == 0) d.source = "none found";
  return d;
}

GpuDetection DetectGpusHere() {
  const char* env = std::getenv("CUDA_VISIBLE_DEVICES");
  if (env != nullptr) return DetectGpus(std::string(env), std::nullopt);
  return DetectGpus(std::nullopt, RunNvidiaSmi());
}

StatusOr<std::string> ChildVisibleDevices(const std::vector<int>& gpus, const std::optional<std::string>& parent) {
  std::vector<std::string> entries;
  if (parent) entries = VisibleEntries(*parent);
  std::string out;
  for (int g : gpus) {
    std::string name = std::to_string(g);
    if (parent) {
      if (g < 0 || static_cast<size_t>(g) >= entries.size()) {
        return InvalidArgumentError(fmt::format("GPU {} is not among the worker's CUDA_VISIBLE_DEVICES \"{}\"", g,
                                                *parent));
      }
      name = entries[static_cast<size_t>(g)];
    }
    out += (out.empty() ? "" : ",") + name;
  }
  return out;
}

}  // namespace ltsweep::worker
