// dashboard_bench: the cost of the dashboard's endpoints on one large sweep.
//
// Builds a real store on a temporary file with one sweep of `--trials`
// trials (default 100,000; four parameters), runs `--finished` of them
// (default 5,000) through lease, one metric batch of `--epochs` epochs and
// finish as a worker would, leaves `--running` of them running, and then
// times each endpoint of DashboardApi (dashboard/api.h) several times:
// the sweeps list, the sweep summary, trial pages (first, middle, filtered
// by state), the view built cold and served from its cache, and a trial.
//
// Prints, per endpoint: the median wall time, user+sys CPU time of this
// process per call, and the 1-minute load average (on a shared machine wall
// times mislead: compare CPU times and ratios within one run).
//
//   dashboard_bench [--trials 100000] [--finished 5000] [--running 4] [--epochs 10]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/config_hash.h"
#include "dashboard/api.h"
#include "store/store.h"

namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Load() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

void Die(const ltsweep::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// Median wall ms and mean CPU ms of `n` calls.
void Time(const std::string& name, int n, const std::function<size_t()>& call) {
  std::vector<double> walls;
  const double cpu0 = CpuSeconds();
  size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    const auto t0 = Steady::now();
    bytes = call();
    walls.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
  }
  const double cpu = (CpuSeconds() - cpu0) * 1000 / n;
  std::sort(walls.begin(), walls.end());
  std::printf("%-34s %5d calls  median %9.2f ms wall  %9.2f ms cpu/call  %8zu bytes  load %.2f\n", name.c_str(), n,
              walls[walls.size() / 2], cpu, bytes, Load());
}

}  // namespace

int main(int argc, char** argv) {
  int trials = 100000, finished = 5000, running = 4, epochs = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (flag == "--trials") trials = v;
    else if (flag == "--finished") finished = v;
    else if (flag == "--running") running = v;
    else if (flag == "--epochs") epochs = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  char dir_template[] = "/tmp/ltsweep-dashboard-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  auto opened = ltsweep::Store::Open(dir + "/sweeps.db", ltsweep::StoreOptions());
  Die(opened.status(), "open");
  ltsweep::Store& store = **opened;
  Die(store.RegisterWorker({"w1", "host", 1, {}}).status(), "register");

  const double cpu0 = CpuSeconds();
  const auto t0 = Steady::now();
  ltsweep::NewSweep sweep;
  sweep.name = "large";
  sweep.spec_yaml = "name: large\n";
  const char* losses[] = {"ce", "focal", "ldam"};
  for (int i = 0; i < trials; ++i) {
    const nlohmann::json c = {{"method", {{"loss", losses[i % 3]}}},
                              {"train", {{"seed", i % 5}, {"epochs", epochs}, {"lr", 0.01 * (1 + i % 7)}}},
                              {"data", {{"imbalance", {{"ratio", 10 * (1 + (i / 105) % 1000)}}}}}};
    sweep.trials.push_back({ltsweep::ResolvedConfigHash(c), c.dump()});
  }
  auto created = store.CreateSweep(sweep);
  Die(created.status(), "create");
  const int64_t sweep_id = created->sweep_id;
  for (int t = 0; t < finished + running; ++t) {
    auto lease = store.LeaseNextTrial("w1", 600s);
    Die(lease.status(), "lease");
    const ltsweep::Lease& l = **lease;
    ltsweep::MetricBatch batch;
    for (int e = 0; e < epochs; ++e) {
      const double v = 0.2 + 0.5 / (e + 1) + 0.001 * (t % 97);
      batch.metrics.push_back({e, "val_error", v});
      batch.metrics.push_back({e, "train_loss", 2 * v});
      batch.metrics.push_back({e, "lr", 0.1});
    }
    Die(store.ReportMetrics(l.trial_id, l.token, batch), "report");
    if (t >= finished) continue;
    ltsweep::FinishRequest f;
    Die(store.FinishAttempt(l.trial_id, l.token, f).status(), "finish");
  }
  std::printf("setup: %d trials, %d finished, %d running (%d epochs each): %.1f s wall, %.1f s cpu, load %.2f\n",
              trials, finished, running, epochs, std::chrono::duration<double>(Steady::now() - t0).count(),
              CpuSeconds() - cpu0, Load());

  ltsweep::dashboard::DashboardApi api(store, ltsweep::dashboard::DashboardOptions());
  auto size = [](const ltsweep::StatusOr<nlohmann::json>& j) {
    Die(j.status(), "call");
    return ltsweep::dashboard::DumpJson(*j).size();
  };
  Time("/api/sweeps", 20, [&] { return size(api.Sweeps()); });
  Time("/api/sweeps/ID (summary)", 20, [&] { return size(api.Sweep(sweep_id)); });
  Time("/api/sweeps/ID/trials (first page)", 20, [&] { return size(api.TrialsPage(sweep_id, "", "", "")); });
  Time("/api/sweeps/ID/trials (middle)", 20,
       [&] { return size(api.TrialsPage(sweep_id, std::to_string(trials / 2), "", "")); });
  Time("/api/sweeps/ID/trials?state=running", 20,
       [&] { return size(api.TrialsPage(sweep_id, "", "", "running")); });
  // Cold: a fresh api each call, so the view is built every time.
  Time("/api/sweeps/ID/view (built)", 3, [&] {
    ltsweep::dashboard::DashboardApi fresh(store, ltsweep::dashboard::DashboardOptions());
    return size(fresh.SweepView(sweep_id));
  });
  size(api.SweepView(sweep_id));  // built once; the calls below find it cached
  Time("/api/sweeps/ID/view (cached)", 20, [&] { return size(api.SweepView(sweep_id)); });
  Time("/api/trials/ID", 20, [&] { return size(api.Trial(created->trial_ids[0])); });
  std::filesystem::remove_all(dir);
  return 0;
}
