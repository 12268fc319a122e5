// ltsweep-train: runs one trial under the trainer contract (DESIGN.md).
//
//   ltsweep-train --config trial.json [--checkpoint-dir DIR] [--resume]
//                 [--threads N] [--device cpu|cuda|cuda:N] [--print-config]
//                 [--stop-after EPOCHS]
//
// --stop-after N stops after N epochs of this process exactly as SIGTERM
// would (checkpoint, exit 4): for resume tests and time-sliced runs.
//
// The config is read and resolved (defaults filled, every value checked by
// common/config_schema.h) here, once; the training options both tracks use
// are read from it once (TrainingOptions) and handed to the track.
//
// stdout: JSON lines (trainer/core/events.h); stderr: human-readable progress.
// Flags, event names and exit codes are those of common/trainer_contract.h:
// the trainer's exceptions (trainer/core/errors.h) map to kExitInvalidConfig,
// kExitUnusableData, kExitInterrupted and kExitCannotRunHere, anything else to
// kExitCrash.
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include "common/config_schema.h"
#include "common/trainer_contract.h"
#include "trainer/core/blas_info.h"
#include "trainer/core/checkpoint_file.h"
#include "trainer/core/errors.h"
#include "trainer/core/events.h"
#include "trainer/core/runtime.h"
#include "trainer/core/training_options.h"
#include "trainer/image/image_trial.h"
#include "trainer/torch_runtime.h"

#ifdef LTSWEEP_HAVE_TEXT_TRACK
#include "trainer/text/text_trial.h"
#endif

namespace ltsweep::trainer {
namespace {

std::atomic<bool> g_interrupt{false};
// --gpu-memory-fraction (0: none), for the message of a trial that does not fit.
double g_gpu_memory_fraction = 0;

extern "C" void OnSigterm(int) { g_interrupt.store(true); }

constexpr const char* kUsage =
    "usage: ltsweep-train --config trial.json [--checkpoint-dir DIR] [--resume] [--threads N]\n"
    "                     [--device cpu|cuda|cuda:N] [--gpu-memory-fraction F] [--print-config]\n"
    "                     [--stop-after EPOCHS]\n";

struct Args {
  std::string config_path;
  std::string checkpoint_dir;
  bool resume = false;
  int threads = 0;  // 0 = all cores
  std::string device;  // empty = cuda if available
  double gpu_memory_fraction = 0;  // 0: the whole device
  bool print_config = false;
  int stop_after = 0;
};

// A positive integer of at most `max_digits` digits, else ConfigError naming
// the flag.
int PositiveFlag(const std::string& flag, const std::string& v, size_t max_digits, const char* what) {
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > max_digits ||
      std::stoi(v) < 1) {
    throw ConfigError(flag + ": expected " + what + ", got '" + v + "'");
  }
  return std::stoi(v);
}

// A number in (0, 1], else ConfigError naming the flag.
double FractionFlag(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double f = v.empty() || v.size() > 32 ? -1 : std::strtod(v.c_str(), &end);
  if (end == nullptr || *end != '\0' || !(f > 0 && f <= 1)) {
    throw ConfigError(flag + ": expected a fraction in (0, 1], got '" + v + "'");
  }
  return f;
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      std::string::size_type eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) throw ConfigError(a + ": missing value\n" + kUsage);
      return argv[++i];
    };
    std::string name = a.substr(0, a.find('='));
    if (name == contract::kFlagConfig) {
      args.config_path = value();
    } else if (name == contract::kFlagCheckpointDir) {
      args.checkpoint_dir = value();
    } else if (name == contract::kFlagResume) {
      args.resume = true;
    } else if (name == contract::kFlagPrintConfig) {
      args.print_config = true;
    } else if (name == contract::kFlagThreads) {
      args.threads = PositiveFlag(name, value(), 4, "a positive integer");
    } else if (name == contract::kFlagStopAfter) {
      args.stop_after = PositiveFlag(name, value(), 6, "a positive number of epochs");
    } else if (name == contract::kFlagDevice) {
      args.device = value();
    } else if (name == contract::kFlagGpuMemoryFraction) {
      args.gpu_memory_fraction = FractionFlag(name, value());
    } else if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(contract::kExitOk);
    } else {
      throw ConfigError("unknown argument '" + a + "'\n" + kUsage);
    }
  }
  if (args.config_path.empty()) throw ConfigError(std::string(contract::kFlagConfig) + " is required\n" + kUsage);
  return args;
}

nlohmann::json ReadConfig(const std::string& path) {
  const std::string where = std::string(contract::kFlagConfig) + " " + path;
  std::ifstream in(path);
  if (!in) throw ConfigError(where + ": cannot open: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json partial;
  try {
    partial = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(where + ": not valid JSON: " + e.what());
  }
  StatusOr<nlohmann::json> resolved = ResolveTrialConfig(partial);
  if (!resolved.ok()) throw ConfigError(where + ": " + resolved.status().message());
  return *resolved;
}

int RunText(const nlohmann::json& config, const TrainingOptions& training, const TrialRuntime& rt,
            EventWriter& events) {
#ifdef LTSWEEP_HAVE_TEXT_TRACK
  return RunTextTrial(config, training, rt, events);
#else
  (void)config;
  (void)training;
  (void)rt;
  (void)events;
  throw ConfigError("data.dataset imdb: the text track is not built");
#endif
}

// Debian's LibTorch runs its matrix products through OpenBLAS, whose own
// pthread pool is sized when the library loads (before main) from
// OPENBLAS_NUM_THREADS, else all cores. Next to LibTorch's OpenMP intra-op
// pool (--threads) that oversubscribes the cores: both pools spin on the same
// CPUs and a --threads 1 trial uses them all. The variable is read too early
// for main() to set it for this process, so we ask the loaded OpenBLAS
// directly (openblas_set_num_threads, looked up with dlsym so the build does
// not depend on OpenBLAS) and set the variable for any child process. A value
// the user set is kept. Re-executing the process with the variable set would
// also work but doubles the start-up (loading LibTorch takes seconds).
void PinOpenBlasThreads() {
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr) return;
  ::setenv("OPENBLAS_NUM_THREADS", "1", 1);
  using SetThreads = void (*)(int);
  if (void* fn = ::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")) reinterpret_cast<SetThreads>(fn)(1);
}

// The trainer contract's runtime fields of the start event: what this
// attempt runs with.
nlohmann::json RuntimeFields(const TrialRuntime& rt) {
  BlasInfo blas = DetectBlas();
  if (blas.name.empty()) blas.name = TorchBuildBlas();
  return {{contract::kFieldThreads, rt.threads},
          {contract::kFieldBlas, blas.name},
          {contract::kFieldBlasThreads, blas.threads},
          {contract::kFieldDevice, rt.device}};
}

int Main(int argc, char** argv) {
  PinOpenBlasThreads();
  Args args = ParseArgs(argc, argv);
  nlohmann::json config = ReadConfig(args.config_path);
  if (args.print_config) {
    std::printf("%s\n", config.dump(2).c_str());
    return contract::kExitOk;
  }
  const TrainingOptions training = TrainingOptions::FromConfig(config);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSigterm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);

  TrialRuntime rt;
  rt.threads = args.threads > 0 ? args.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  rt.device = ResolveDevice(args.device);
  g_gpu_memory_fraction = args.gpu_memory_fraction;
  ApplyGpuMemoryFraction(args.gpu_memory_fraction, rt.device);
  rt.checkpoint_dir = args.checkpoint_dir;
  // A trial that could never save its state stops here, not after an epoch.
  if (!rt.checkpoint_dir.empty()) CheckCheckpointDirWritable(rt.checkpoint_dir);
  rt.resume = args.resume;
  rt.interrupt = &g_interrupt;
  rt.stop_after_epochs = args.stop_after;
  ConfigureTorchThreads(rt.threads);

  EventWriter events;
  events.SetStartFields(RuntimeFields(rt));
  if (config["data"]["dataset"] == "imdb") return RunText(config, training, rt, events);
  return RunImageTrial(config, training, rt, events);
}

}  // namespace
}  // namespace ltsweep::trainer

int main(int argc, char** argv) {
  using namespace ltsweep::trainer;
  namespace contract = ltsweep::contract;
  try {
    return Main(argc, argv);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "ltsweep-train: invalid config: %s\n", e.what());
    return contract::kExitInvalidConfig;
  } catch (const DataError& e) {
    std::fprintf(stderr, "ltsweep-train: unusable data: %s\n", e.what());
    return contract::kExitUnusableData;
  } catch (const CannotRunHere& e) {
    std::fprintf(stderr, "ltsweep-train: cannot run here: %s\n", e.what());
    return contract::kExitCannotRunHere;
  } catch (const c10::OutOfMemoryError& e) {
    // Out of CUDA memory: another worker (or a slot with a larger share) may fit it.
    std::fprintf(stderr, "ltsweep-train: cannot run here: %s\n", DoesNotFitMessage(g_gpu_memory_fraction, e.what()).c_str());
    return contract::kExitCannotRunHere;
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "ltsweep-train: %s\n", e.what());
    return contract::kExitInterrupted;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ltsweep-train: crash: %s\n", e.what());
    return contract::kExitCrash;
  }
}
