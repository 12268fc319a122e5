#include "tests/chaos/chaos_cluster.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ltsweep::chaos {

namespace fs = std::filesystem;

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string MsFlag(Ms d) { return std::to_string(d.count()) + "ms"; }

}  // namespace

bool EnterPrivateMountNamespace() {
  return unshare(CLONE_NEWNS) == 0 && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

ChaosCluster::ChaosCluster(ClusterOptions options, TrainerTrace* trace)
    : options_(std::move(options)), trace_(trace) {}

ChaosCluster::~ChaosCluster() {
  for (auto& [id, w] : workers_) {
    if (!w.frozen.empty()) Thaw(id);
  }
  StopAll();
  for (auto& [id, w] : workers_) {
    if (!w.tmpfs.empty()) umount2(w.tmpfs.c_str(), MNT_DETACH);
  }
}

std::string ChaosCluster::Log(const std::string& name, int n) const {
  return options_.dir + "/" + name + "-" + std::to_string(n) + ".log";
}

bool ChaosCluster::StartCoordinator() {
  const std::string port_file = options_.dir + "/port";
  fs::remove(port_file);
  ++coordinator_starts_;
  std::vector<std::string> argv = {options_.ltsweep, "coordinator", "--db", db_path(), "--listen", address(),
                                   "--lease-ttl", MsFlag(options_.lease_ttl), "--heartbeat", MsFlag(options_.heartbeat),
                                   "--scan-interval", "100ms", "--idle-retry", "100ms", "--port-file", port_file};
  argv.insert(argv.end(), options_.coordinator_args.begin(), options_.coordinator_args.end());
  // The old port may still be held by connections in TIME_WAIT or a slow
  // exit: try a few times.
  for (int tries = 0; tries < 20; ++tries) {
    coordinator_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{},
                                                  Log("coordinator", coordinator_starts_));
    for (int i = 0; i < 500 && coordinator_->Running() && !fs::exists(port_file); ++i) {
      std::this_thread::sleep_for(Ms(20));
    }
    if (fs::exists(port_file)) {
      port_ = std::stoi(ReadAll(port_file));
      return true;
    }
    coordinator_->Signal(SIGKILL);
    coordinator_->Wait(Ms(5000));
    std::this_thread::sleep_for(Ms(200));
  }
  return false;
}

void ChaosCluster::KillCoordinator() {
  coordinator_->Signal(SIGKILL);
  coordinator_->Wait(Ms(10000));
}

void ChaosCluster::AddWorker(const std::string& id, WorkerKind kind, int tmpfs_kib, bool* tmpfs_ok) {
  Worker& w = workers_[id];
  w.kind = kind;
  w.proxy = std::make_unique<TcpProxy>(port_);
  const std::string work = options_.dir + "/work-" + id;
  fs::create_directories(work);
  if (tmpfs_kib > 0) {
    const std::string size = "size=" + std::to_string(tmpfs_kib) + "k";
    const bool ok = mount("tmpfs", work.c_str(), "tmpfs", 0, size.c_str()) == 0;
    if (ok) w.tmpfs = work;
    if (tmpfs_ok != nullptr) *tmpfs_ok = ok;
  }
  StartWorker(id);
}

void ChaosCluster::StartWorker(const std::string& id) {
  Worker& w = workers_.at(id);
  ++w.starts;
  const std::string& cli = options_.ltsweep_worker.empty() ? options_.ltsweep : options_.ltsweep_worker;
  std::vector<std::string> argv = {cli, "worker", "--coordinator",
                                   "127.0.0.1:" + std::to_string(w.proxy->port()), "--slots",
                                   std::to_string(w.kind == WorkerKind::kHealthy ? options_.slots : options_.bad_worker_slots), "--trainer", options_.trainer, "--work-dir",
                                   options_.dir + "/work-" + id, "--checkpoint-root", options_.dir + "/checkpoints",
                                   "--grace", "1s", "--heartbeat", MsFlag(options_.heartbeat), "--flush-interval", "0",
                                   "--backoff-max", "300ms", "--worker-id", id, "--threads", "1"};
  std::map<std::string, std::string> env = {{"LTSWEEP_FAKE_EPOCH_MS", std::to_string(options_.epoch_ms)},
                                            {"LTSWEEP_FAKE_TRACE", options_.dir + "/trainers.trace"}};
  if (w.kind == WorkerKind::kBlackHole) env["LTSWEEP_FAKE_EXIT"] = "5";
  if (w.kind == WorkerKind::kCrashLoop) env["LTSWEEP_FAKE_EXIT"] = "1";
  w.process = std::make_unique<ChildProcess>(argv, env, Log("worker-" + id, w.starts));
}

void ChaosCluster::KillWorker(const std::string& id, bool tree) {
  Worker& w = workers_.at(id);
  // Collected before the daemon dies: orphans are re-parented at once.
  const std::vector<pid_t> trainers = tree ? Descendants(w.process->pid()) : std::vector<pid_t>{};
  w.process->Signal(SIGKILL);
  for (pid_t p : trainers) kill(p, SIGKILL);
  w.process->Wait(Ms(10000));
}

bool ChaosCluster::WorkerRunning(const std::string& id) {
  Worker& w = workers_.at(id);
  return w.process && w.process->Running();
}

std::string ChaosCluster::WorkerExit(const std::string& id) {
  const int status = workers_.at(id).process->wait_status();
  if (status < 0) return "still running";
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

std::vector<std::string> ChaosCluster::worker_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, w] : workers_) ids.push_back(id);
  return ids;
}

void ChaosCluster::Freeze(const std::string& id) {
  Worker& w = workers_.at(id);
  w.process->Signal(SIGSTOP);
  // Stopped first, the daemon cannot start a trainer while we list them.
  w.frozen = Descendants(w.process->pid());
  for (pid_t p : w.frozen) kill(p, SIGSTOP);
  trace_->Frozen(w.frozen);
}

void ChaosCluster::Thaw(const std::string& id) {
  Worker& w = workers_.at(id);
  trace_->Thawed(w.frozen);
  for (pid_t p : w.frozen) kill(p, SIGCONT);
  w.process->Signal(SIGCONT);
  w.frozen.clear();
}

bool ChaosCluster::FillDisk(const std::string& id) {
  Worker& w = workers_.at(id);
  if (w.tmpfs.empty()) return false;
  std::FILE* f = std::fopen((w.tmpfs + "/filler").c_str(), "w");
  if (f == nullptr) return false;
  const std::string block(4096, 'x');
  while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
  }
  std::fclose(f);
  return true;
}

void ChaosCluster::FreeDisk(const std::string& id) {
  Worker& w = workers_.at(id);
  if (!w.tmpfs.empty()) fs::remove(w.tmpfs + "/filler");
}

int64_t ChaosCluster::Submit(const std::string& spec_path) {
  const std::string log = options_.dir + "/submit.log";
  ChildProcess submit({options_.ltsweep, "submit", "--coordinator", address(), "-q", spec_path}, {}, log);
  if (!submit.Wait(Ms(30000)) || submit.wait_status() != 0) return -1;
  try {
    return std::stoll(ReadAll(log));
  } catch (const std::exception&) {
    return -1;
  }
}

void ChaosCluster::StopAll() {
  for (auto& [id, w] : workers_) {
    if (w.process) w.process->Signal(SIGTERM);
  }
  for (auto& [id, w] : workers_) {
    if (w.process && !w.process->Wait(Ms(5000))) KillWorker(id, true);
  }
  if (coordinator_) {
    coordinator_->Signal(SIGTERM);
    if (!coordinator_->Wait(Ms(5000))) KillCoordinator();
  }
}

}  // namespace ltsweep::chaos
