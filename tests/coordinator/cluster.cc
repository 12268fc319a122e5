#include "tests/coordinator/cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

extern char** environ;

namespace ltsweep::testing {

Process::Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                 const std::string& log_path)
    : log_path_(log_path) {
  std::map<std::string, std::string> all;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) all[k] = v;
  std::vector<std::string> env_s, argv_s = argv;
  for (const auto& [k, v] : all) env_s.push_back(k + "=" + v);
  std::vector<char*> cargv, cenv;
  for (auto& s : argv_s) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  for (auto& s : env_s) cenv.push_back(s.data());
  cenv.push_back(nullptr);
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(fd);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
    Wait(std::chrono::milliseconds(5000));
  }
}

void Process::Signal(int sig) {
  if (!reaped_ && pid_ > 0) kill(pid_, sig);
}

int Process::Wait(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status;
    }
    if (std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool Process::running() { return !reaped_ && Wait(std::chrono::milliseconds(0)) == -1; }

std::string Process::log() const {
  std::error_code ec;
  return std::filesystem::exists(log_path_, ec) ? ReadFile(log_path_) : "";
}

bool ProcessAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  // A zombie still answers kill(0); read its state.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_s, comm, state;
  if (stat >> pid_s >> comm >> state) return state != "Z";
  return false;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

Cluster::Cluster(const TempDir& dir) : dir_(dir) {}

Cluster::~Cluster() {
  workers_.clear();
  coordinator_.reset();
}

std::string Cluster::CoordinatorLog() const {
  std::string all;
  for (int i = 1; i <= coordinator_starts_; ++i) {
    const std::string path = dir_.File("coordinator-" + std::to_string(i) + ".log");
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) all += ReadFile(path);
  }
  return all;
}

std::string Cluster::db_path() const { return dir_.File("sweeps.db"); }

void Cluster::StartCoordinator(const std::string& lease_ttl, const std::vector<std::string>& extra_args) {
  const std::string port_file = dir_.File("port");
  std::filesystem::remove(port_file);
  ++coordinator_starts_;
  std::vector<std::string> argv = {LTSWEEP_DAEMONS_PATH, "coordinator", "--db", db_path(), "--listen",
                                   "127.0.0.1:" + std::to_string(port_), "--lease-ttl", lease_ttl, "--heartbeat", "300ms",
                                   "--scan-interval", "100ms", "--idle-retry", "100ms", "--port-file", port_file};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  coordinator_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{},
                                           dir_.File("coordinator-" + std::to_string(coordinator_starts_) + ".log"));
  bool up = WaitUntil([&] { return std::filesystem::exists(port_file); }, std::chrono::seconds(10));
  if (!up) throw std::runtime_error("the coordinator did not start: " + coordinator_->log());
  port_ = std::stoi(ReadFile(port_file));
  if (!channel_) {
    channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
    client_ = v1::ClientService::NewStub(channel_);
  }
}

void Cluster::KillCoordinator() {
  coordinator_->Signal(SIGKILL);
  coordinator_->Wait(std::chrono::seconds(5));
}

Process& Cluster::StartWorker(const WorkerSpec& spec) {
  const std::string work = dir_.File("work-" + spec.id);
  std::vector<std::string> argv = {LTSWEEP_DAEMONS_PATH, "worker", "--coordinator", address(), "--slots",
                                   std::to_string(spec.slots), "--trainer", LTSWEEP_FAKE_TRAIN_PATH, "--work-dir", work,
                                   "--grace", "1s", "--heartbeat", "300ms", "--flush-interval", "0", "--backoff-max",
                                   "300ms", "--worker-id", spec.id, "--threads", "1"};
  for (const auto& a : spec.extra_args) argv.push_back(a);
  auto p = std::make_unique<Process>(argv, spec.env, dir_.File("worker-" + spec.id + ".log"));
  Process& ref = *p;
  workers_[spec.id] = std::move(p);
  return ref;
}

int64_t Cluster::Submit(const std::string& yaml) {
  grpc::ClientContext ctx;
  v1::SubmitSweepRequest req;
  req.set_spec_yaml(yaml);
  req.set_source_name("test.yaml");
  v1::SubmitSweepResponse resp;
  grpc::Status s = client_->SubmitSweep(&ctx, req, &resp);
  if (!s.ok()) throw std::runtime_error("submit failed: " + s.error_message());
  return resp.sweep_id();
}

v1::SweepInfo Cluster::Sweep(int64_t sweep_id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::SweepInfo resp;
  client_->GetSweep(&ctx, req, &resp);
  return resp;
}

std::vector<v1::TrialInfo> Cluster::Trials(int64_t sweep_id) {
  v1::ListTrialsRequest req;
  req.set_sweep_id(sweep_id);
  req.set_include_config(true);
  std::vector<v1::TrialInfo> trials;
  do {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListTrialsResponse resp;
    if (!client_->ListTrials(&ctx, req, &resp).ok()) break;
    trials.insert(trials.end(), resp.trials().begin(), resp.trials().end());
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return trials;
}

v1::QueryMetricsResponse Cluster::Metrics(int64_t trial_id, int attempt) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::QueryMetricsRequest req;
  req.set_trial_id(trial_id);
  req.set_attempt(attempt);
  v1::QueryMetricsResponse resp;
  client_->QueryMetrics(&ctx, req, &resp);
  return resp;
}

bool Cluster::WaitFinished(int64_t sweep_id, std::chrono::milliseconds timeout) {
  return WaitUntil(
      [&] {
        const std::string s = Sweep(sweep_id).state();
        return s == "done" || s == "failed" || s == "cancelled";
      },
      timeout);
}

}  // namespace ltsweep::testing
