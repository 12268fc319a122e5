// large_sweep: one coordinator holding a 100,000-trial sweep (issue 14).
//
// Two real coordinators (CoordinatorServer, in this process, gRPC on
// loopback), each on a fresh SQLite file in a temporary folder: A holds a
// sweep of 1,000 + rounds x cycles trials (so about 1k or more stay queued),
// B a small sweep and then the big one. In order:
//
//   1. lease latency of P probe workers on B (one lease/report/finish cycle
//      every 5 ms each) for a few seconds with nothing else running: the
//      control figure;
//   2. the same probes while B takes a sweep of `--trials` (default 100,000)
//      trials (priority 1): the submit's wall time, and the Lease latency
//      (p50, p99, max) of every Lease call made while it ran;
//   3. lease/finish throughput, `--rounds` times in turn on A (~1k queued)
//      and on B (100k queued; the big sweep's priority puts its trials
//      first): W fake workers per coordinator (one gRPC channel each) lease
//      a trial, report one metric batch and finish it until `--cycles`
//      trials are done; the B/A ratio of each pair of rounds;
//   4. latencies on the big sweep: GetSweep, ListSweeps, the first answer of
//      ListTrials (the whole list where the coordinator does not page), the
//      first WatchSweep message, and the real CLI as subprocesses:
//      `ltsweep status`, `ltsweep results B` and `ltsweep report B`
//      (remote, --coordinator).
//
// Every phase prints wall time, user+sys CPU time of this process (and of
// the CLI subprocesses for 5) and the 1-minute load average, since on a
// shared machine wall times alone mislead; compare ratios within one run.
//
//   large_sweep [--trials 100000] [--workers 8] [--probes 4] [--cycles 1000]
//               [--rounds 3] [--ltsweep PATH] [--dir DIR]
//
// Targets (issue 14): throughput at 100k >= 0.9x the 1k figure; status and
// remote results under 1 s on the 100k sweep; lease p99 under 50 ms while
// the 100k submit runs.
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "coordinator/coordinator_server.h"
#include "proto/client_service.grpc.pb.h"
#include "proto/grpc_runtime.h"
#include "proto/worker_service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = ltsweep::v1;

struct Args {
  int trials = 100'000;
  int workers = 8;
  int probes = 4;
  int cycles = 1000;
  int rounds = 3;
  std::string ltsweep;
  std::string dir;
};

// A grid of `trials` distinct configs: `trials / 100` learning rates x 100
// seeds (or fewer seeds for small sweeps). rerun: nothing is linked.
std::string SweepYaml(const std::string& name, int trials, int priority) {
  const int seeds = std::min(trials, 100);
  const int lrs = trials / seeds;
  std::string seed_list, lr_list;
  for (int i = 0; i < seeds; ++i) seed_list += (i ? "," : "") + std::to_string(i);
  for (int i = 0; i < lrs; ++i) lr_list += fmt::format("{}{}", i ? "," : "", 0.001 + 0.0001 * i);
  return fmt::format(
      "name: {}\nrerun: true\npriority: {}\nconfig:\n  train: {{epochs: 5}}\nseeds: [{}]\nparameters:\n"
      "  train.lr: {{values: [{}]}}\n",
      name, priority, seed_list, lr_list);
}

// CPU time (user + sys) of this process, or of its waited-for children.
double CpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

double LoadAverage() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return -1;
  double load = -1;
  if (std::fscanf(f, "%lf", &load) != 1) load = -1;
  std::fclose(f);
  return load;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Wall and CPU time of one phase.
class Phase {
 public:
  Phase() : t0_(Clock::now()), cpu0_(CpuSeconds(RUSAGE_SELF)), child0_(CpuSeconds(RUSAGE_CHILDREN)) {}
  double wall() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }
  double cpu() const { return CpuSeconds(RUSAGE_SELF) - cpu0_; }
  double child_cpu() const { return CpuSeconds(RUSAGE_CHILDREN) - child0_; }

 private:
  Clock::time_point t0_;
  double cpu0_, child0_;
};

class FakeWorker {
 public:
  FakeWorker(const std::string& address, const std::string& id) {
    grpc::ChannelArguments args;
    args.SetString("ltsweep.bench_worker", id);  // distinct args: a channel of its own
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stub_ = v1::WorkerService::NewStub(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::RegisterRequest req;
    req.set_host(id);
    req.set_worker_id(id);
    req.set_slots(1);
    v1::RegisterResponse resp;
    ok_ = stub_->Register(&ctx, req, &resp).ok();
    id_ = resp.worker_id();
  }
  bool ok() const { return ok_; }

  // One cycle: lease, report one batch, finish. Returns false when the call
  // failed; `granted` says whether a trial was leased; `lease_ms` the
  // Lease call's latency.
  bool Cycle(bool* granted, double* lease_ms) {
    v1::LeaseRequest lreq;
    lreq.set_worker_id(id_);
    v1::LeaseResponse lease;
    grpc::ClientContext lctx;
    const auto t0 = Clock::now();
    grpc::Status s = stub_->Lease(&lctx, lreq, &lease);
    *lease_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!s.ok()) return Fail("Lease", s);
    *granted = lease.granted();
    if (!lease.granted()) return true;
    v1::LeaseRef ref;
    ref.set_trial_id(lease.trial_id());
    ref.set_attempt(lease.attempt());
    ref.set_token(lease.token());
    v1::ReportMetricsRequest report;
    report.set_worker_id(id_);
    *report.mutable_lease() = ref;
    for (int k = 0; k < 10; ++k) {
      auto* r = report.add_rows();
      r->set_epoch(0);
      r->set_name(k == 0 ? "val_error" : fmt::format("m{}", k));
      r->set_value(0.5 / (k + 1) + 1e-6 * static_cast<double>(lease.trial_id() % 1000));
      r->set_class_index(-1);
    }
    v1::ReportMetricsResponse rresp;
    grpc::ClientContext rctx;
    s = stub_->ReportMetrics(&rctx, report, &rresp);
    if (!s.ok()) return Fail("ReportMetrics", s);
    v1::FinishAttemptRequest finish;
    finish.set_worker_id(id_);
    *finish.mutable_lease() = ref;
    finish.set_outcome(v1::SUCCEEDED);
    v1::FinishAttemptResponse fresp;
    grpc::ClientContext fctx;
    s = stub_->FinishAttempt(&fctx, finish, &fresp);
    if (!s.ok()) return Fail("FinishAttempt", s);
    return true;
  }

 private:
  bool Fail(const char* call, const grpc::Status& s) {
    std::fprintf(stderr, "large_sweep: %s failed: %s\n", call, s.error_message().c_str());
    return false;
  }
  std::unique_ptr<v1::WorkerService::Stub> stub_;
  std::string id_;
  bool ok_ = false;
};

std::vector<std::unique_ptr<FakeWorker>> MakeWorkers(const std::string& address, const std::string& prefix, int n) {
  std::vector<std::unique_ptr<FakeWorker>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<FakeWorker>(address, fmt::format("{}-{}", prefix, i)));
  return out;
}

// Runs lease/report/finish cycles on every worker until `cycles` trials
// were granted in all; prints the figures.
double Throughput(const std::string& label, std::vector<std::unique_ptr<FakeWorker>>& workers, int cycles) {
  std::atomic<int> left{cycles};
  std::mutex mu;
  std::vector<double> lease_ms;
  const double load = LoadAverage();
  Phase phase;
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&, worker = w.get()] {
      std::vector<double> mine;
      while (left.fetch_sub(1) > 0) {
        bool granted = false;
        double ms = 0;
        if (!worker->Cycle(&granted, &ms) || !granted) break;
        mine.push_back(ms);
      }
      std::lock_guard<std::mutex> lock(mu);
      lease_ms.insert(lease_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double wall = phase.wall(), cpu = phase.cpu();
  const double n = static_cast<double>(lease_ms.size());
  std::printf("%-28s %6zu trials %7.2f s wall %8.1f trials/s  cpu %6.2f s (%5.2f ms/trial)  lease p50 %6.2f p99 %7.2f ms  "
              "load %.2f\n",
              label.c_str(), lease_ms.size(), wall, n / wall, cpu, 1e3 * cpu / std::max(1.0, n),
              Percentile(lease_ms, 0.5), Percentile(lease_ms, 0.99), load);
  std::fflush(stdout);
  return n / wall;
}

// Probe workers lease on `address` (a cycle every 5 ms each) while `during`
// runs; prints their Lease latencies under `label`.
template <typename F>
void Probe(const std::string& label, std::vector<std::unique_ptr<FakeWorker>>& probes, F&& during) {
  std::atomic<bool> running{true}, measuring{false};
  std::mutex mu;
  std::vector<double> lease_ms;
  int granted_total = 0;
  std::vector<std::thread> threads;
  for (auto& w : probes) {
    threads.emplace_back([&, worker = w.get()] {
      std::vector<double> mine;
      int granted_n = 0;
      while (running.load()) {
        const bool measured = measuring.load();
        bool granted = false;
        double ms = 0;
        if (!worker->Cycle(&granted, &ms)) break;
        if (!measured) continue;
        mine.push_back(ms);
        granted_n += granted ? 1 : 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      std::lock_guard<std::mutex> lock(mu);
      lease_ms.insert(lease_ms.end(), mine.begin(), mine.end());
      granted_total += granted_n;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // probes running first
  measuring = true;
  during();
  measuring = false;
  running = false;
  for (auto& t : threads) t.join();
  std::printf("  %s: %zu Lease calls (%d granted), p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", label.c_str(),
              lease_ms.size(), granted_total, Percentile(lease_ms, 0.5), Percentile(lease_ms, 0.99),
              Percentile(lease_ms, 1.0));
  std::fflush(stdout);
}

bool Submit(const std::string& address, const std::string& yaml, v1::SubmitSweepResponse* resp) {
  auto client = v1::ClientService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::SubmitSweepRequest req;
  req.set_spec_yaml(yaml);
  req.set_source_name("large_sweep");
  grpc::Status s = client->SubmitSweep(&ctx, req, resp);
  if (!s.ok()) std::printf("submit FAILED: %s\n", s.error_message().c_str());
  return s.ok();
}

// The control phase, then the big submit under the probes; returns the big
// sweep's id (0 on failure).
int64_t SubmitUnderLoad(const std::string& address, int trials, int probes) {
  auto probe_workers = MakeWorkers(address, "probe", probes);
  const std::string yaml = SweepYaml("big", trials, 1);
  Probe("control (no submit, 3 s)", probe_workers, [] { std::this_thread::sleep_for(std::chrono::seconds(3)); });
  v1::SubmitSweepResponse resp;
  bool ok = false;
  double wall = 0, cpu = 0;
  const double load = LoadAverage();
  Probe("during the submit", probe_workers, [&] {
    Phase phase;
    ok = Submit(address, yaml, &resp);
    wall = phase.wall();
    cpu = phase.cpu();
  });
  if (!ok) return 0;
  std::printf("submit %d trials (%zu bytes of YAML): %.2f s wall, cpu %.2f s (whole process), load %.2f; %d queued\n",
              trials, yaml.size(), wall, cpu, load, resp.trials_queued());
  std::fflush(stdout);
  return resp.sweep_id();
}

template <typename F>
void Timed(const char* label, F&& call) {
  const double load = LoadAverage();
  Phase phase;
  std::string outcome = call();
  std::printf("%-44s %8.3f s wall  cpu %6.3f s (children %6.3f s)  load %.2f  %s\n", label, phase.wall(),
              phase.cpu(), phase.child_cpu(), load, outcome.c_str());
  std::fflush(stdout);
}

std::string Describe(const grpc::Status& s, const std::string& ok_text) {
  if (s.ok()) return ok_text;
  return fmt::format("FAILED: {} (code {})", s.error_message().substr(0, 120), static_cast<int>(s.error_code()));
}

// Runs a CLI command; returns its exit status and the last line it printed.
std::string RunCli(const std::string& command) {
  std::FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return "FAILED: popen";
  std::string last, line;
  size_t bytes = 0;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    line = buf;
    bytes += line.size();
    if (line.find_first_not_of(" \n") != std::string::npos) last = line;
  }
  const int rc = pclose(p);
  while (!last.empty() && last.back() == '\n') last.pop_back();
  return fmt::format("exit {}, {} bytes out; last line: {}", WEXITSTATUS(rc), bytes, last.substr(0, 100));
}

void Latencies(const std::string& address, int64_t big, const Args& a) {
  auto client = v1::ClientService::NewStub(grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), [] {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(-1);
        return args;
      }()));
  Timed("GetSweep(big)", [&] {
    grpc::ClientContext ctx;
    v1::GetSweepRequest req;
    req.set_sweep_id(big);
    v1::SweepInfo info;
    grpc::Status s = client->GetSweep(&ctx, req, &info);
    return Describe(s, fmt::format("{} trials, {} succeeded", info.trials_total(), info.trials_succeeded()));
  });
  Timed("ListSweeps", [&] {
    grpc::ClientContext ctx;
    v1::ListSweepsResponse resp;
    grpc::Status s = client->ListSweeps(&ctx, v1::ListSweepsRequest(), &resp);
    return Describe(s, fmt::format("{} sweeps", resp.sweeps_size()));
  });
  Timed("ListTrials(big) first answer", [&] {
    grpc::ClientContext ctx;
    v1::ListTrialsRequest req;
    req.set_sweep_id(big);
    v1::ListTrialsResponse resp;
    grpc::Status s = client->ListTrials(&ctx, req, &resp);
    return Describe(s, fmt::format("{} trials, {} bytes", resp.trials_size(), resp.ByteSizeLong()));
  });
  Timed("WatchSweep(big) first message", [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::WatchSweepRequest req;
    req.set_sweep_id(big);
    auto reader = client->WatchSweep(&ctx, req);
    v1::SweepEvent event;
    const bool got = reader->Read(&event);
    ctx.TryCancel();
    grpc::Status s = reader->Finish();
    if (got) return fmt::format("first message: {} bytes", event.ByteSizeLong());
    return Describe(s, "no message");
  });
  if (a.ltsweep.empty()) return;
  const std::string target = " --coordinator " + address;
  Timed("ltsweep status (every sweep)", [&] { return RunCli(a.ltsweep + " status" + target); });
  Timed("ltsweep status BIG", [&] { return RunCli(fmt::format("{} status {}{}", a.ltsweep, big, target)); });
  Timed("ltsweep results BIG (remote)", [&] { return RunCli(fmt::format("{} results {}{}", a.ltsweep, big, target)); });
  const std::string html = (std::filesystem::path(a.dir) / "report.html").string();
  Timed("ltsweep report BIG -o report.html (remote)",
        [&] { return RunCli(fmt::format("{} report {} -o {}{}", a.ltsweep, big, html, target)); });
}

struct Coordinator {
  std::unique_ptr<ltsweep::coordinator::CoordinatorServer> server;
  std::string address;
  std::string db;
};

bool StartCoordinator(const Args& a, const std::string& name, Coordinator* c) {
  c->db = (std::filesystem::path(a.dir) / (name + ".db")).string();
  ltsweep::coordinator::CoordinatorOptions options;
  options.db_path = c->db;
  options.listen = "127.0.0.1:0";
  options.log = [](const std::string&) {};
  c->server = std::make_unique<ltsweep::coordinator::CoordinatorServer>(options);
  auto port = c->server->Start();
  if (!port.ok()) {
    std::fprintf(stderr, "large_sweep: %s\n", port.status().ToString().c_str());
    return false;
  }
  c->address = fmt::format("127.0.0.1:{}", *port);
  return true;
}

int Run(const Args& a) {
  Coordinator small, big;
  if (!StartCoordinator(a, "small", &small) || !StartCoordinator(a, "big", &big)) return 1;
  v1::SubmitSweepResponse resp;
  const int small_trials = 1000 + a.rounds * a.cycles;
  {
    Phase phase;
    if (!Submit(small.address, SweepYaml("small", small_trials, 0), &resp)) return 1;
    std::printf("A: submit %d trials: %.3f s wall, cpu %.3f s\n", small_trials, phase.wall(), phase.cpu());
  }
  // B: a few thousand trials for the probes to lease while the big one goes in.
  if (!Submit(big.address, SweepYaml("probe", 10'000, 0), &resp)) return 1;
  std::printf("B: lease latency of %d probe workers (one cycle per 5 ms each)\n", a.probes);
  const int64_t big_id = SubmitUnderLoad(big.address, a.trials, a.probes);
  if (big_id == 0) return 1;
  auto workers_a = MakeWorkers(small.address, "a", a.workers);
  auto workers_b = MakeWorkers(big.address, "b", a.workers);
  std::vector<double> ratios;
  for (int r = 0; r < a.rounds; ++r) {
    const double at_1k = Throughput(fmt::format("round {} A, ~1k+ queued", r + 1), workers_a, a.cycles);
    const double at_100k = Throughput(fmt::format("round {} B, 100k queued", r + 1), workers_b, a.cycles);
    ratios.push_back(at_100k / at_1k);
  }
  std::printf("throughput B/A per round:");
  for (double r : ratios) std::printf(" %.2f", r);
  std::printf(" (median %.2f)\n", Percentile(ratios, 0.5));
  Latencies(big.address, big_id, a);
  small.server->Shutdown();
  big.server->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("GRPC_POLL_STRATEGY", "poll", /*overwrite=*/0);  // as in coordinator_load.cc
  ltsweep::ConfigureGrpcRuntime();
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--trials") {
      a.trials = std::atoi(next().c_str());
    } else if (arg == "--workers") {
      a.workers = std::atoi(next().c_str());
    } else if (arg == "--probes") {
      a.probes = std::atoi(next().c_str());
    } else if (arg == "--cycles") {
      a.cycles = std::atoi(next().c_str());
    } else if (arg == "--rounds") {
      a.rounds = std::max(1, std::atoi(next().c_str()));
    } else if (arg == "--ltsweep") {
      a.ltsweep = next();
    } else if (arg == "--dir") {
      a.dir = next();
    } else {
      std::fprintf(stderr,
                   "usage: large_sweep [--trials 100000] [--workers 8] [--probes 4] [--cycles 1000] "
                   "[--rounds 3] [--ltsweep PATH] [--dir DIR]\n");
      return 2;
    }
  }
  const bool own_dir = a.dir.empty();
  if (own_dir) {
    const char* tmp = std::getenv("TMPDIR");
    a.dir = (std::filesystem::path(tmp ? tmp : "/tmp") / fmt::format("ltsweep-large-sweep-{}", getpid())).string();
  }
  std::filesystem::create_directories(a.dir);
  std::printf("large_sweep: %d trials, %d workers, %d probes, %d rounds of %d cycles, %u hardware threads\n", a.trials,
              a.workers, a.probes, a.rounds, a.cycles, std::thread::hardware_concurrency());
  const int rc = Run(a);
  if (own_dir) std::filesystem::remove_all(a.dir);
  return rc;
}
