// ltsweep-fake-train: a stand-in for ltsweep-train that obeys the same process
// contract (common/trainer_contract.h: flags, events, exit codes) in
// milliseconds, for coordinator and worker tests.
//
//   ltsweep-fake-train --config trial.json [--checkpoint-dir DIR] [--resume]
//                      [--threads N] [--device D] [--gpu-memory-fraction F]
//
// Runs train.epochs epochs (from the config), sleeping LTSWEEP_FAKE_EPOCH_MS
// (default 50) per epoch, and prints start / epoch / checkpoint / done JSON
// lines. Metric values are a pure function of (train.seed, train.lr, epoch),
// so a resumed run reports exactly what an uninterrupted one would.
//
// With --checkpoint-dir the last finished epoch is written to DIR/last_epoch
// after each epoch, the way ltsweep-train writes its checkpoints (a temporary
// name of this process, fsync, rename into place: never torn); with --resume
// training continues after it, or from epoch 0 when the marker is garbage.
// A marker that cannot be written exits 5 (kExitCannotRunHere), as the real
// trainer does for an unwritable checkpoint folder.
//
// Faults on request (environment):
//   LTSWEEP_FAKE_EXIT=C           exit with status C before training (2, 3: with
//                                 a message on stderr, as the real trainer)
//   LTSWEEP_FAKE_ONLY_SEED=S      apply LTSWEEP_FAKE_EXIT only when train.seed == S
//   LTSWEEP_FAKE_CRASH_EPOCH=E    abort() after epoch E, unless resuming
//   LTSWEEP_FAKE_IGNORE_TERM=1    ignore SIGTERM (to test the SIGKILL fallback)
//   LTSWEEP_FAKE_PID_DIR=DIR      write DIR/<pid> while running (tests count
//                                 live trainers); removed on normal exit
//   LTSWEEP_FAKE_EXIT=5           (as above) "cannot run here" with a message
//   LTSWEEP_FAKE_HANG=1           print nothing at all and sleep until SIGTERM
//                                 (then exit 4); signals are not ignored
//   LTSWEEP_FAKE_HANG_EPOCH=E     the same, after the events of epoch E
//   LTSWEEP_FAKE_FLOOD_BYTES=N    after the start event, one stdout line of N
//                                 bytes ("FLOOD" then 'x'), then go on
//   LTSWEEP_FAKE_DEEP_JSON=N      after the start event, an epoch event whose
//                                 "deep" field nests N arrays, then go on
//   LTSWEEP_FAKE_BAD_UTF8_STDERR=1 before exiting (any way), write ~6 KiB of
//                                 stderr mixing multi-byte UTF-8 and invalid
//                                 bytes
//   LTSWEEP_FAKE_STDERR_LINES=N   after each epoch's events, N lines on stderr
//                                 "fake trainer: epoch E line K of N" (trial
//                                 logs: lines that come while it runs)
//   LTSWEEP_FAKE_STDERR_FLOOD_BYTES=N  after the start event, N bytes of
//                                 100-byte stderr lines "flood <byte offset>
//                                 xxx...", then "fake trainer: flood done"
//   LTSWEEP_FAKE_FORK_CHILD=1     fork a child that ignores SIGTERM and SIGINT,
//                                 keeps stdout open and sleeps (at most 60 s);
//                                 with a PID_DIR it writes DIR/child-<pid>
//   LTSWEEP_FAKE_LOCK_DIR=DIR     hold an exclusive flock on
//                                 DIR/seed-<seed>-lr-<lr>.lock while running;
//                                 when another live trainer holds it (the same
//                                 trial running twice at once) write
//                                 DIR/overlap-<pid>
//   LTSWEEP_FAKE_GPU_DIR=DIR      find the GPU as CUDA would (tests/deploy,
//                                 Slurm): the nodes DIR/nvidia<N> this process
//                                 may open (a device cgroup answers EPERM for
//                                 the others), in order of N, are CUDA devices
//                                 0, 1, ...; CUDA_VISIBLE_DEVICES picks one.
//                                 None: exit 5 ("no CUDA device"). With
//                                 LTSWEEP_FAKE_GPU_LOG=FILE append one line
//                                 "job=<$SLURM_JOB_ID> gpu=<N> seed=<seed>"
//   LTSWEEP_FAKE_DEVICE_LOG=FILE  append one JSON line per run: train.seed,
//                                 train.lr, --device, --threads,
//                                 --gpu-memory-fraction (0 when not given) and
//                                 CUDA_VISIBLE_DEVICES (null when unset): what
//                                 the worker gave it (device scheduling tests)
//   LTSWEEP_FAKE_ALLOC_MB=N       allocate and touch N MiB before training
//                                 (memory limits: past RLIMIT_AS the
//                                 std::bad_alloc is left uncaught, so the
//                                 process aborts naming it on stderr)
//   LTSWEEP_FAKE_DRW_CURVE=1      a late bloomer: a trial whose method.defer is
//                                 drw or drs has val_error + 0.6 before
//                                 method.drw_epoch and val_error * 0.2 from it
//                                 on (early-termination tests)
//   LTSWEEP_FAKE_SCHEME=1         the curves the staged-sweep rules read
//                                 (spec/stages.h), deterministic, no noise:
//                                 train.lr_schedule.type range_test -> lr
//                                 rises min_lr..max_lr over the run and
//                                 val_error = 1 - accuracy(lr at the epoch's
//                                 end): 0.1 below lr 0.05, rising to 0.85 at
//                                 0.4, flat to 0.6, down to 0.1 at 0.9;
//                                 constant -> val_error falls until epoch
//                                 K = clamp(round(2 / lr), 2, 50), then
//                                 rises 0.004 per epoch while train_loss
//                                 keeps falling. Epoch events carry
//                                 "iterations": 1000. A range test's done
//                                 event carries "range_test_curve" (20
//                                 steps per epoch, [lr, loss, accuracy])
//                                 of a different shape, so a test can tell
//                                 which curve the rule read: batch
//                                 accuracy 0.1 below lr 0.05, rising to
//                                 0.85 at 0.25, flat to 0.35, down to 0.1
//                                 at 0.55, +-0.05 deterministic noise;
//                                 LTSWEEP_FAKE_NO_STEP_CURVE=1 leaves it out
// SIGTERM: finishes the current epoch's checkpoint and exits 4.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/trainer_contract.h"

namespace {

using Json = nlohmann::json;
namespace c = ltsweep::contract;

volatile std::sig_atomic_t g_term = 0;
void OnTerm(int) { g_term = 1; }

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

void Emit(const Json& j) {
  std::string line = j.dump();
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

double Noise(uint64_t seed, int epoch, int k) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) * 0xBF58476D1CE4E5B9ull +
               static_cast<uint64_t>(k) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD39ull;
  x ^= x >> 29;
  return static_cast<double>(x % 10000) / 10000.0;
}

// LTSWEEP_FAKE_SCHEME's per-step range-test curve (see the header comment).
Json SchemeStepCurve(double min_lr, double max_lr, int epochs, uint64_t seed) {
  const int n = 20 * std::max(1, epochs);
  Json curve = Json::array();
  for (int i = 0; i < n; ++i) {
    const double x = min_lr + (max_lr - min_lr) * i / std::max(1, n - 1);
    double acc = 0.1;
    if (x > 0.05) acc = 0.1 + 0.75 * std::min(1.0, (x - 0.05) / 0.2);
    if (x > 0.35) acc = std::max(0.1, 0.85 - 3.75 * (x - 0.35));
    acc = std::clamp(acc + 0.1 * (Noise(seed, i, 11) - 0.5), 0.0, 1.0);
    curve.push_back(Json::array({x, 2.3 * (1.0 - acc), acc}));
  }
  return curve;
}

// Sleeps `ms`, waking early on SIGTERM.
void SleepMs(int ms) {
  for (int t = 0; t < ms && !g_term; t += 5) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// ~6 KiB of stderr: valid multi-byte characters with invalid bytes between
// (a lone lead byte, 0xFF, a stray continuation byte).
void WriteBadUtf8Stderr() {
  std::string s;
  while (s.size() < 6000) s += "caf\xc3\xa9 \xe2\x82\xac \xff\xc3 \x80 \xf0\x9f\x98\x80 ";
  s += "\nfake trainer: stderr with invalid UTF-8 \xc3";
  std::fwrite(s.data(), 1, s.size(), stderr);
  std::fflush(stderr);
}

// Sleeps until SIGTERM, printing nothing.
int HangUntilTerm() {
  while (!g_term) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return c::kExitInterrupted;
}

// A child that ignores SIGTERM and SIGINT and keeps the trainer's stdout open.
void ForkStubbornChild(const std::string& pid_dir) {
  const pid_t pid = fork();
  if (pid != 0) return;
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);
  if (!pid_dir.empty()) std::ofstream(pid_dir + "/child-" + std::to_string(getpid())) << getpid() << "\n";
  std::this_thread::sleep_for(std::chrono::seconds(60));
  _exit(0);
}

// Takes DIR/<key>.lock; writes DIR/overlap-<pid> when another process holds it.
void LockTrial(const std::string& dir, const std::string& key) {
  const std::string path = dir + "/" + key + ".lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);  // held until exit
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::ofstream(dir + "/overlap-" + std::to_string(getpid())) << key << "\n";
  }
}

// Writes `epoch` to `marker` as ltsweep-train writes a checkpoint: temporary
// file named for this process, fsync, rename. False (and a line on stderr)
// when it cannot be written.
bool WriteMarker(const std::string& marker, int epoch) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(marker).parent_path(), ec);  // as ltsweep-train
  const std::string tmp = marker + ".tmp." + std::to_string(getpid());
  const std::string text = std::to_string(epoch) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = fd >= 0 && ::fsync(fd) == 0 && ok;
  if (fd >= 0) ok = ::close(fd) == 0 && ok;
  ok = ok && std::rename(tmp.c_str(), marker.c_str()) == 0;
  if (!ok) {
    std::cerr << "fake trainer: cannot write the checkpoint marker " << marker << ": " << std::strerror(errno) << "\n";
    ::unlink(tmp.c_str());
  }
  return ok;
}

// The last finished epoch in `marker`, or -1 when there is none or it is not
// a whole non-negative number on one line (then training starts over).
int ReadMarker(const std::string& marker) {
  std::ifstream in(marker);
  std::string line;
  if (!std::getline(in, line) || line.empty() || line.size() > 9 ||
      line.find_first_not_of("0123456789") != std::string::npos) {
    if (in.is_open()) std::cerr << "fake trainer: unusable checkpoint marker " << marker << "; starting from epoch 0\n";
    return -1;
  }
  return std::stoi(line);
}

// LTSWEEP_FAKE_GPU_DIR (see the header): the N of the device node that
// CUDA_VISIBLE_DEVICES selects, or -1.
int FakeCudaDevice(const std::string& dir) {
  std::vector<int> usable;
  for (int n = 0; n < 64; ++n) {
    const std::string node = dir + "/nvidia" + std::to_string(n);
    if (::access(node.c_str(), F_OK) != 0) continue;
    const int fd = ::open(node.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
    if (fd >= 0 || (errno != EPERM && errno != EACCES)) usable.push_back(n);  // ENXIO: no driver, still ours
  }
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (visible == nullptr || visible[0] == '\0') return -1;
  const int index = std::atoi(visible);
  return index >= 0 && index < static_cast<int>(usable.size()) ? usable[static_cast<size_t>(index)] : -1;
}

int Usage(const std::string& why) {
  std::cerr << "ltsweep-fake-train: " << why << "\n"
            << "usage: ltsweep-fake-train --config FILE [--checkpoint-dir DIR] [--resume] [--threads N] [--device D]\n";
  return c::kExitInvalidConfig;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, checkpoint_dir, device = "cpu";
  bool resume = false;
  int threads = 0;
  double gpu_memory_fraction = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    if (a == c::kFlagConfig) config_path = next();
    else if (a == c::kFlagCheckpointDir) checkpoint_dir = next();
    else if (a == c::kFlagResume) resume = true;
    else if (a == c::kFlagThreads) threads = std::atoi(next().c_str());
    else if (a == c::kFlagDevice) device = next();
    else if (a == c::kFlagGpuMemoryFraction) gpu_memory_fraction = std::atof(next().c_str());
    else return Usage("unknown argument " + a);
  }
  if (config_path.empty()) return Usage(std::string(c::kFlagConfig) + " is required");

  Json config;
  {
    std::ifstream in(config_path);
    if (!in) {
      std::cerr << config_path << ": cannot open\n";
      return c::kExitInvalidConfig;
    }
    try {
      in >> config;
    } catch (const std::exception& e) {
      std::cerr << config_path << ": not JSON: " << e.what() << "\n";
      return c::kExitInvalidConfig;
    }
  }
  const Json train = config.value("train", Json::object());
  const int epochs = train.value("epochs", 3);
  const uint64_t seed = train.value("seed", 0ull);
  const double lr = train.value("lr", 0.1);

  // LTSWEEP_FAKE_TRACE=FILE (tests/chaos): append "<label> <pid> start <ns>"
  // now and "<label> <pid> end <ns>" at exit() or return from main (not at
  // abort or a signal), each one O_APPEND write; <label> is the config's
  // folder (trial-<id>-a<attempt>), <ns> std::chrono::steady_clock
  // (CLOCK_MONOTONIC), so two runs of one trial can be checked for overlap.
  static std::string trace_path = Env("LTSWEEP_FAKE_TRACE"), trace_label;
  if (!trace_path.empty()) {
    const size_t slash = config_path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : config_path.substr(0, slash);
    trace_label = dir.substr(dir.find_last_of('/') + 1);
    static auto trace = [](const char* what) {
      const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
      const std::string line =
          trace_label + " " + std::to_string(getpid()) + " " + what + " " + std::to_string(ns) + "\n";
      if (std::FILE* f = std::fopen(trace_path.c_str(), "a")) {
        std::setvbuf(f, nullptr, _IOFBF, line.size() + 64);  // one write(2)
        std::fwrite(line.data(), 1, line.size(), f);
        std::fclose(f);
      }
    };
    trace("start");
    std::atexit([] { trace("end"); });
  }

  if (const std::string log = Env("LTSWEEP_FAKE_DEVICE_LOG"); !log.empty()) {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    const std::string line = Json{{"seed", seed}, {"lr", lr}, {"device", device}, {"threads", threads},
                                  {"gpu_memory_fraction", gpu_memory_fraction},
                                  {"cuda_visible_devices", visible ? Json(visible) : Json(nullptr)}}
                                 .dump() + "\n";
    if (std::FILE* f = std::fopen(log.c_str(), "a")) {
      std::fwrite(line.data(), 1, line.size(), f);
      std::fclose(f);
    }
  }

  const std::string pid_dir = Env("LTSWEEP_FAKE_PID_DIR");
  const std::string pid_file = pid_dir.empty() ? "" : pid_dir + "/" + std::to_string(getpid());
  if (!pid_file.empty()) std::ofstream(pid_file) << getpid() << "\n";
  auto cleanup = [&] {
    if (!pid_file.empty()) std::remove(pid_file.c_str());
  };

  if (Env("LTSWEEP_FAKE_IGNORE_TERM") == "1") {
    std::signal(SIGTERM, SIG_IGN);
  } else {
    std::signal(SIGTERM, OnTerm);
  }

  const std::string lock_dir = Env("LTSWEEP_FAKE_LOCK_DIR");
  if (!lock_dir.empty()) LockTrial(lock_dir, "seed-" + std::to_string(seed) + "-lr-" + std::to_string(lr));
  const bool bad_utf8 = Env("LTSWEEP_FAKE_BAD_UTF8_STDERR") == "1";
  if (bad_utf8) std::atexit(WriteBadUtf8Stderr);
  if (Env("LTSWEEP_FAKE_FORK_CHILD") == "1") ForkStubbornChild(pid_dir);
  if (Env("LTSWEEP_FAKE_HANG") == "1") {
    const int code = HangUntilTerm();
    cleanup();
    return code;
  }

  const std::string fail = Env("LTSWEEP_FAKE_EXIT");
  const std::string only_seed = Env("LTSWEEP_FAKE_ONLY_SEED");
  if (!fail.empty() && (only_seed.empty() || std::stoull(only_seed) == seed)) {
    int code = std::atoi(fail.c_str());
    if (code == c::kExitInvalidConfig) std::cerr << "invalid config: train.seed " << seed << " is not allowed by the fake trainer\n";
    if (code == c::kExitUnusableData) std::cerr << "unusable data: the fake data set for seed " << seed << " is empty\n";
    if (code == c::kExitCannotRunHere) std::cerr << "cannot run here: the fake trainer finds no CUDA device\n";
    cleanup();
    return code;
  }

  if (const std::string gpu_dir = Env("LTSWEEP_FAKE_GPU_DIR"); !gpu_dir.empty()) {
    const int gpu = FakeCudaDevice(gpu_dir);
    if (gpu < 0) {
      std::cerr << "cannot run here: no CUDA device " << Env("CUDA_VISIBLE_DEVICES") << " among " << gpu_dir << "\n";
      cleanup();
      return c::kExitCannotRunHere;
    }
    const std::string line = "job=" + Env("SLURM_JOB_ID") + " gpu=" + std::to_string(gpu) +
                             " seed=" + std::to_string(seed) + "\n";
    const int fd = ::open(Env("LTSWEEP_FAKE_GPU_LOG", "/dev/null").c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
      if (::write(fd, line.data(), line.size()) < 0) std::cerr << "fake trainer: cannot log the GPU\n";
      ::close(fd);
    }
  }

  // --- LTSWEEP_FAKE_ALLOC_MB (memory-limit tests) ---
  if (const int alloc_mb = std::atoi(Env("LTSWEEP_FAKE_ALLOC_MB", "0").c_str()); alloc_mb > 0) {
    const size_t bytes = static_cast<size_t>(alloc_mb) << 20;
    std::unique_ptr<char[]> block(new char[bytes]);  // throws std::bad_alloc past the limit
    for (size_t i = 0; i < bytes; i += 4096) block[i] = static_cast<char>(i);
    std::cerr << "fake trainer: allocated and touched " << alloc_mb << " MiB\n";
  }

  int first_epoch = 0;
  const std::string marker = checkpoint_dir.empty() ? "" : checkpoint_dir + "/last_epoch";
  if (resume && !marker.empty()) first_epoch = ReadMarker(marker) + 1;
  const std::string crash_epoch = Env("LTSWEEP_FAKE_CRASH_EPOCH");
  const bool resumed = first_epoch > 0;
  const int epoch_ms = std::atoi(Env("LTSWEEP_FAKE_EPOCH_MS", "50").c_str());
  const char* cuda = std::getenv("CUDA_VISIBLE_DEVICES");

  // The contract's runtime fields; the BLAS is a fixed name (the fake trainer
  // multiplies nothing), its thread count $OPENBLAS_NUM_THREADS, else 1.
  Emit({{c::kFieldEvent, c::kEventStart}, {"epochs", epochs}, {"first_epoch", first_epoch},
        {c::kFieldThreads, threads}, {c::kFieldDevice, device}, {c::kFieldBlas, "fake-blas 1.0"},
        {c::kFieldBlasThreads, std::atoi(Env("OPENBLAS_NUM_THREADS", "1").c_str())},
        {"cuda_visible_devices", cuda ? cuda : ""}, {"pid", getpid()}});

  const long flood = std::atol(Env("LTSWEEP_FAKE_FLOOD_BYTES", "0").c_str());
  if (flood > 0) {
    std::string line = "FLOOD" + std::string(static_cast<size_t>(std::max(0L, flood - 5)), 'x') + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }
  const long stderr_flood = std::atol(Env("LTSWEEP_FAKE_STDERR_FLOOD_BYTES", "0").c_str());
  if (stderr_flood > 0) {
    std::string block;
    for (long at = 0; at < stderr_flood; at += 100) {
      std::string line = "flood " + std::to_string(at) + " ";
      line += std::string(99 - line.size(), 'x') + "\n";
      block += line;
      if (block.size() >= 65536) std::fwrite(block.data(), 1, block.size(), stderr), block.clear();
    }
    block += "fake trainer: flood done\n";
    std::fwrite(block.data(), 1, block.size(), stderr);
    std::fflush(stderr);
  }
  const int stderr_lines = std::atoi(Env("LTSWEEP_FAKE_STDERR_LINES", "0").c_str());
  const int deep = std::atoi(Env("LTSWEEP_FAKE_DEEP_JSON", "0").c_str());
  if (deep > 0) {
    std::string line = "{\"event\":\"epoch\",\"epoch\":0,\"deep\":" + std::string(static_cast<size_t>(deep), '[') +
                       std::string(static_cast<size_t>(deep), ']') + "}\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }
  const std::string hang_epoch = Env("LTSWEEP_FAKE_HANG_EPOCH");

  double best = 1e9;
  int best_epoch = -1;
  double last = 0;
  // Recompute the best over epochs already done before a resume.
  const Json method = config.value("method", Json::object());
  const std::string defer = method.value("defer", std::string("none"));
  const bool drw_curve = !Env("LTSWEEP_FAKE_DRW_CURVE").empty() && (defer == "drw" || defer == "drs");
  const int drw_epoch = method.value("drw_epoch", 0);
  const bool scheme = Env("LTSWEEP_FAKE_SCHEME") == "1";
  const Json schedule = config.value("train", Json::object()).value("lr_schedule", Json::object());
  const std::string schedule_type = schedule.value("type", std::string("reference"));
  const double min_lr = schedule.value("min_lr", 0.001), max_lr = schedule.value("max_lr", 0.1);
  auto scheme_lr = [&](int e, bool end) {  // the range test's lr at an epoch's first or last step
    if (schedule_type != "range_test") return lr;
    return min_lr + (max_lr - min_lr) * std::min(1.0, (e + (end ? 1.0 : 0.0)) / std::max(1, epochs));
  };
  auto scheme_error = [&](int e) {
    if (schedule_type == "range_test") {
      const double x = scheme_lr(e, true);
      double acc = 0.1;
      if (x > 0.05) acc = 0.1 + 0.75 * std::min(1.0, (x - 0.05) / 0.35);
      if (x > 0.6) acc = std::max(0.1, 0.85 - 2.5 * (x - 0.6));
      return 1.0 - acc;
    }
    const int knee = std::clamp(static_cast<int>(std::lround(2.0 / std::max(lr, 1e-9))), 2, 50);
    return 0.5 * std::exp(-0.4 * std::min(e, knee)) + 0.1 + (e > knee ? 0.004 * (e - knee) : 0.0);
  };
  auto val_error_at = [&](int e) {
    if (scheme) return scheme_error(e);
    const double v = 0.9 * std::exp(-0.3 * e) * (0.5 + lr) + 0.05 * Noise(seed, e, 0);
    if (!drw_curve) return v;
    return e < drw_epoch ? v + 0.6 : v * 0.2;
  };
  auto epoch_event = [&](int e) {
    const double v = val_error_at(e);
    Json per_class = Json::array();
    for (int c = 0; c < 4; ++c) per_class.push_back(std::min(1.0, v * (0.5 + 0.4 * c) + 0.01 * Noise(seed, e, c + 1)));
    Json event{{c::kFieldEvent, c::kEventEpoch},
                {c::kFieldEpoch, e},
                {"lr", scheme ? scheme_lr(e, false) : lr},
                {"train_loss", 2.0 * std::exp(-0.2 * e) + (scheme ? 0.0 : 0.1 * Noise(seed, e, 7))},
                {"val_loss", 2.1 * std::exp(-0.2 * e) + 0.1 * Noise(seed, e, 8)},
                {"val_error", v},
                {std::string(c::kPerClassPrefix) + "error", per_class},
                {"many_shot_error", v * 0.5},
                {"samples_per_s", 1000.0},
                {"confusion", Json::array({Json::array({e, 1}), Json::array({1, e})})}};
    if (scheme) event["iterations"] = 1000;
    return event;
  };
  // Trainer contract: a resumed run first replays the epochs its checkpoint
  // holds, as first emitted plus "replayed": true.
  for (int e = 0; e < first_epoch && e < epochs; ++e) {
    double v = val_error_at(e);
    if (v < best) best = v, best_epoch = e;
    Json ev = epoch_event(e);
    ev[c::kFieldReplayed] = true;
    Emit(ev);
  }
  for (int e = first_epoch; e < epochs; ++e) {
    SleepMs(epoch_ms);
    const double v = val_error_at(e);
    Emit(epoch_event(e));
    for (int k = 1; k <= stderr_lines; ++k) {
      std::cerr << "fake trainer: epoch " << e << " line " << k << " of " << stderr_lines << std::endl;
    }
    if (v < best) best = v, best_epoch = e;
    last = v;
    if (!marker.empty()) {
      if (!WriteMarker(marker, e)) {
        cleanup();
        return c::kExitCannotRunHere;
      }
      Emit({{c::kFieldEvent, c::kEventCheckpoint}, {c::kFieldEpoch, e}, {c::kFieldPath, marker}});
    }
    if (!hang_epoch.empty() && e == std::atoi(hang_epoch.c_str())) {
      const int code = HangUntilTerm();
      cleanup();
      return code;
    }
    if (!crash_epoch.empty() && !resumed && e == std::atoi(crash_epoch.c_str())) {
      std::cerr << "fake trainer: crashing after epoch " << e << " as asked\n";
      std::abort();
    }
    if (g_term) {
      std::cerr << "fake trainer: interrupted after epoch " << e << "\n";
      cleanup();
      return c::kExitInterrupted;
    }
  }
  if (first_epoch >= epochs) last = val_error_at(epochs - 1);
  Json done{{c::kFieldEvent, c::kEventDone}, {c::kFieldBestValError, best}, {c::kFieldBestEpoch, best_epoch},
            {c::kFieldLastValError, last}, {"epochs", epochs}};
  if (scheme && schedule_type == "range_test" && Env("LTSWEEP_FAKE_NO_STEP_CURVE") != "1") {
    done[c::kFieldRangeTestCurve] = SchemeStepCurve(min_lr, max_lr, epochs, seed);
  }
  Emit(done);
  cleanup();
  return c::kExitOk;
}
