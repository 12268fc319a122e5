// A network partition between a worker and a real coordinator (in-process
// CoordinatorServer on a real SQLite file), made with a TCP proxy that either
// refuses connections or blackholes them (calls hang to their deadline): the
// worker that cannot renew its lease stops its trainer before the lease can
// expire, so when the coordinator gives the trial to another worker the
// trial never runs twice at once; once the link is back the cut-off worker
// reports, is told the lease is gone, and drops its attempt.
//
// "Twice at once" is detected by the trainers themselves, not by timing: each
// fake trainer holds an exclusive flock on a file named after its trial while
// it runs and leaves an overlap-<pid> file when it finds the lock taken.
#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "coordinator/coordinator_server.h"
#include "proto/client_service.grpc.pb.h"
#include "tests/testing/test_util.h"
#include "worker/worker.h"

namespace ltsweep::worker {
namespace {

namespace fs = std::filesystem;
using ::ltsweep::testing::TempDir;
using Ms = std::chrono::milliseconds;

// Forwards 127.0.0.1:port() to 127.0.0.1:upstream until Cut(), which closes
// every connection and the listener (connects are then refused), or
// Freeze(), which keeps every connection open but forwards nothing (a
// blackholed network: calls hang until their deadline); Restore() listens
// on the same port again, or forwards again. Not thread-safe: one test
// thread drives it.
class TcpProxy {
 public:
  explicit TcpProxy(int upstream) : upstream_(upstream) { Listen(); }
  ~TcpProxy() { Cut(); }
  int port() const { return port_; }

  void Cut() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      cut_ = true;
      if (listener_ >= 0) shutdown(listener_, SHUT_RDWR);
      for (int fd : conns_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
    threads_.clear();
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : conns_) close(fd);
    conns_.clear();
    if (listener_ >= 0) close(listener_);
    listener_ = -1;
  }
  void Restore() {
    if (frozen_) {
      frozen_ = false;
      return;
    }
    Listen();
  }
  void Freeze() { frozen_ = true; }

 private:
  void Listen() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) std::abort();
    socklen_t len = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(listener_, 16);
    cut_ = false;
    threads_.emplace_back([this, fd = listener_] { AcceptLoop(fd); });
  }
  void AcceptLoop(int listener) {
    while (true) {
      const int client = accept(listener, nullptr, nullptr);
      if (client < 0) return;
      const int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(upstream_));
      std::lock_guard<std::mutex> lock(mu_);
      conns_.push_back(client);
      conns_.push_back(server);
      if (cut_ || connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        shutdown(client, SHUT_RDWR);
        continue;
      }
      threads_.emplace_back([this, client, server] { Pump(client, server); });
      threads_.emplace_back([this, client, server] { Pump(server, client); });
    }
  }
  void Pump(int from, int to) {
    char buf[16384];
    while (true) {
      // Frozen: read nothing (the sender's window fills), forward nothing.
      pollfd fd{from, POLLIN, 0};
      if (frozen_ || poll(&fd, 1, 20) == 0) {
        std::this_thread::sleep_for(Ms(10));
        std::lock_guard<std::mutex> lock(mu_);
        if (cut_) break;
        continue;
      }
      const ssize_t n = read(from, buf, sizeof(buf));
      // MSG_NOSIGNAL: a peer that went away must not SIGPIPE the test.
      if (n <= 0 || send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    shutdown(from, SHUT_RDWR);
    shutdown(to, SHUT_RDWR);
  }

  const int upstream_;
  int port_ = 0;
  int listener_ = -1;
  std::mutex mu_;
  bool cut_ = false;        // GUARDED_BY(mu_)
  std::atomic<bool> frozen_{false};
  std::vector<int> conns_;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

bool WaitUntil(const std::function<bool()>& done, Ms timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(Ms(20));
  }
  return true;
}

// A worker running in its own thread, logging to a vector.
class TestWorker {
 public:
  TestWorker(const std::string& coordinator, const std::string& work_dir, Ms rpc_timeout) {
    options_.coordinator = coordinator;
    options_.slots = 1;
    options_.trainer_path = LTSWEEP_FAKE_TRAIN_PATH;
    options_.work_dir = work_dir;
    options_.grace = Ms(5'000);  // longer than the margin: the partition stop must cap it
    options_.rpc_timeout = rpc_timeout;
    options_.metric_flush_interval = Ms(100);
    options_.threads_per_trial = 1;
    options_.backoff = BackoffOptions{20, 200, 2.0, 0.0};
    options_.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      log_ += line + "\n";
    };
    worker_ = std::make_unique<Worker>(options_);
    thread_ = std::thread([this] { status_ = worker_->Run(); });
  }
  ~TestWorker() {
    worker_->Stop();
    thread_.join();
  }
  std::string log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

 private:
  WorkerOptions options_;
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
  Status status_;
  std::mutex mu_;
  std::string log_;
};

enum class Partition { kRefused, kBlackhole };

// The scenario of the header comment; `rpc_timeout` of the cut-off worker.
void RunPartition(Partition partition, Ms rpc_timeout) {
  TempDir dir;
  const std::string locks = dir.File("locks");
  fs::create_directories(locks);
  setenv("LTSWEEP_FAKE_LOCK_DIR", locks.c_str(), 1);
  setenv("LTSWEEP_FAKE_EPOCH_MS", "50", 1);

  std::mutex coord_mu;
  std::string coord_log;
  coordinator::CoordinatorOptions co;
  co.db_path = dir.File("sweeps.db");
  co.listen = "127.0.0.1:0";
  co.lease_ttl = Ms(2'000);
  co.heartbeat_interval = Ms(200);
  co.scan_interval = Ms(100);
  co.idle_retry = Ms(100);
  co.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(coord_mu);
    coord_log += line + "\n";
  };
  coordinator::CoordinatorServer server(co);
  auto port = server.Start();
  ASSERT_OK(port);
  const std::string direct = "127.0.0.1:" + std::to_string(*port);
  auto client = v1::ClientService::NewStub(grpc::CreateChannel(direct, grpc::InsecureChannelCredentials()));
  v1::SubmitSweepRequest submit;
  submit.set_spec_yaml("name: partition\nconfig:\n  train: {epochs: 60}\nseeds: [0]\nmax_attempts: 3\n");
  submit.set_source_name("partition.yaml");
  v1::SubmitSweepResponse submitted;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(client->SubmitSweep(&ctx, submit, &submitted).ok());
  }
  auto trial = [&]() {
    v1::ListTrialsRequest req;
    req.set_sweep_id(submitted.sweep_id());
    v1::ListTrialsResponse resp;
    grpc::ClientContext ctx;
    client->ListTrials(&ctx, req, &resp);
    return resp.trials_size() > 0 ? resp.trials(0) : v1::TrialInfo();
  };

  TcpProxy proxy(*port);
  auto cut_off =
      std::make_unique<TestWorker>("127.0.0.1:" + std::to_string(proxy.port()), dir.File("a"), rpc_timeout);
  ASSERT_TRUE(WaitUntil([&] { return trial().state() == "running" && trial().has_last(); }, Ms(30'000)))
      << cut_off->log();

  if (partition == Partition::kRefused) {
    proxy.Cut();
  } else {
    proxy.Freeze();
  }
  TestWorker other(direct, dir.File("b"), Ms(500));
  // The coordinator expires the first lease and the other worker runs the
  // trial as attempt 2 to its end.
  ASSERT_TRUE(WaitUntil([&] { return trial().state() == "succeeded"; }, Ms(60'000)))
      << "cut-off:\n" << cut_off->log() << "other:\n" << other.log() << "coordinator:\n" << coord_log;
  EXPECT_EQ(trial().attempt(), 2);
  std::vector<std::string> overlaps;
  for (const auto& e : fs::directory_iterator(locks)) {
    if (e.path().filename().string().rfind("overlap-", 0) == 0) overlaps.push_back(e.path().filename().string());
  }
  EXPECT_TRUE(overlaps.empty()) << "the trial ran twice at once\ncut-off:\n" << cut_off->log();
  EXPECT_NE(cut_off->log().find("not renewed"), std::string::npos) << cut_off->log();

  // The link comes back: the cut-off worker reports its interrupted attempt,
  // hears that the lease is gone, and drops it; the result stands.
  proxy.Restore();
  EXPECT_TRUE(WaitUntil([&] { return cut_off->log().find("dropped") != std::string::npos; }, Ms(30'000)))
      << cut_off->log();
  // LTSWEEP_TEST_SHOW_LOGS=1 prints the logs of a passing run too.
  if (std::getenv("LTSWEEP_TEST_SHOW_LOGS")) std::cerr << "cut-off:\n" << cut_off->log() << "other:\n" << other.log();
  cut_off.reset();
  EXPECT_EQ(trial().state(), "succeeded");
  EXPECT_EQ(trial().attempt(), 2);
  server.Shutdown();
  unsetenv("LTSWEEP_FAKE_LOCK_DIR");
  unsetenv("LTSWEEP_FAKE_EPOCH_MS");
}

TEST(WorkerPartitionTest, ACutOffWorkerStopsItsTrainerBeforeTheTrialCanRunElsewhere) {
  RunPartition(Partition::kRefused, Ms(500));
}

// Nothing answers, and each RPC of the cut-off worker waits 3 s -- longer
// than the whole 2 s lease TTL: the trainer must still be stopped in time.
TEST(WorkerPartitionTest, ABlackholedWorkerStopsItsTrainerInTimeWhileItsCallsHang) {
  RunPartition(Partition::kBlackhole, Ms(3'000));
}

}  // namespace
}  // namespace ltsweep::worker
