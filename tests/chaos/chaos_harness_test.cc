// The chaos harness's own detectors, so that a passing chaos run means
// something: TrainerTrace finds two runs of one trial that overlap (and only
// those), with real fake-trainer processes writing their trace; TcpProxy
// forwards, holds connections while cut, and closes them on Restore.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/chaos/chaos_process.h"
#include "tests/chaos/tcp_proxy.h"
#include "tests/chaos/trainer_trace.h"
#include "tests/testing/test_util.h"

namespace ltsweep::chaos {
namespace {

using ::ltsweep::testing::TempDir;
using Ms = std::chrono::milliseconds;

class TraceTest : public ::testing::Test {
 protected:
  // Starts the fake trainer for trial 1, attempt `attempt` (its config
  // folder names both), running `epochs` epochs of 50 ms.
  std::unique_ptr<ChildProcess> Trainer(int attempt, int epochs) {
    const std::string folder = dir_.File("trial-1-a" + std::to_string(attempt));
    std::filesystem::create_directories(folder);
    ::ltsweep::testing::WriteFile(folder + "/config.json",
                                  "{\"train\": {\"epochs\": " + std::to_string(epochs) + "}}");
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{LTSWEEP_FAKE_TRAIN_PATH, "--config", folder + "/config.json"},
        std::map<std::string, std::string>{{"LTSWEEP_FAKE_EPOCH_MS", "50"}, {"LTSWEEP_FAKE_TRACE", trace_path_}},
        folder + "/log");
  }
  // Waits until the trace shows `n` runs.
  void WaitForRuns(size_t n) {
    for (int i = 0; i < 1000 && trace_.Runs().size() < n; ++i) std::this_thread::sleep_for(Ms(10));
    ASSERT_EQ(trace_.Runs().size(), n);
  }

  TempDir dir_;
  std::string trace_path_ = dir_.File("trace");
  TrainerTrace trace_{trace_path_};
};

TEST_F(TraceTest, TwoRunsOfOneTrialAtOnceAreAnOverlap) {
  trace_.Start();
  auto a = Trainer(1, 4);
  auto b = Trainer(2, 4);
  ASSERT_TRUE(a->Wait(Ms(20000)));
  ASSERT_TRUE(b->Wait(Ms(20000)));
  WaitForRuns(2);
  trace_.Stop();
  const auto overlaps = trace_.Overlaps();
  ASSERT_EQ(overlaps.size(), 1u);
  EXPECT_EQ(overlaps[0].trial_id, 1);
  EXPECT_GT(overlaps[0].overlap_ms, 0);
  EXPECT_FALSE(overlaps[0].after_thaw);
  for (const TrainerRun& r : trace_.Runs()) EXPECT_TRUE(r.end_line) << r.label;
}

TEST_F(TraceTest, OneRunAfterTheOtherIsNoOverlap) {
  trace_.Start();
  ASSERT_TRUE(Trainer(1, 2)->Wait(Ms(20000)));
  ASSERT_TRUE(Trainer(2, 2)->Wait(Ms(20000)));
  WaitForRuns(2);
  trace_.Stop();
  EXPECT_TRUE(trace_.Overlaps().empty());
  const auto runs = trace_.Runs();
  EXPECT_EQ(runs[0].attempt, 1);
  EXPECT_EQ(runs[1].attempt, 2);
}

// A SIGKILLed trainer writes no end line: its end is when it was seen gone,
// so the next attempt started after that does not overlap it, and one
// started before it was killed does.
TEST_F(TraceTest, AKilledRunEndsWhenItIsGone) {
  trace_.Start();
  auto killed = Trainer(1, 1000);
  WaitForRuns(1);
  auto early = Trainer(2, 1);
  ASSERT_TRUE(early->Wait(Ms(20000)));
  killed->Signal(SIGKILL);
  ASSERT_TRUE(killed->Wait(Ms(20000)));
  for (int i = 0; i < 1000 && trace_.Runs()[0].end_ns == 0; ++i) std::this_thread::sleep_for(Ms(10));
  ASSERT_TRUE(Trainer(3, 1)->Wait(Ms(20000)));
  WaitForRuns(3);
  trace_.Stop();
  const auto runs = trace_.Runs();
  EXPECT_FALSE(runs[0].end_line);
  EXPECT_GT(runs[0].end_ns, runs[0].start_ns);
  const auto overlaps = trace_.Overlaps();
  ASSERT_EQ(overlaps.size(), 1u);
  EXPECT_NE(overlaps[0].second.find("trial-1-a2"), std::string::npos) << overlaps[0].second;
}

// Time a run spent frozen (SIGSTOP .. SIGCONT) is not running time: another
// run of the trial inside that window is no overlap; running on after the
// thaw while the other still runs is one, marked after_thaw.
TEST_F(TraceTest, FrozenTimeIsNotRunningTime) {
  trace_.Start();
  auto frozen = Trainer(1, 1000);
  WaitForRuns(1);
  frozen->Signal(SIGSTOP);
  trace_.Frozen({frozen->pid()});
  ASSERT_TRUE(Trainer(2, 2)->Wait(Ms(20000)));
  auto after = Trainer(3, 1000);
  WaitForRuns(3);
  trace_.Thawed({frozen->pid()});
  frozen->Signal(SIGCONT);
  std::this_thread::sleep_for(Ms(100));  // both run: an overlap after the thaw
  frozen->Signal(SIGKILL);
  after->Signal(SIGKILL);
  ASSERT_TRUE(frozen->Wait(Ms(20000)));
  ASSERT_TRUE(after->Wait(Ms(20000)));
  trace_.Stop();
  const auto overlaps = trace_.Overlaps();
  ASSERT_EQ(overlaps.size(), 1u);
  EXPECT_NE(overlaps[0].second.find("trial-1-a3"), std::string::npos) << overlaps[0].second;
  EXPECT_TRUE(overlaps[0].after_thaw);
}

// An echo server on loopback: answers every byte it reads.
class EchoServer {
 public:
  EchoServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 16);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::thread([c] {
          char buf[256];
          ssize_t n;
          while ((n = read(c, buf, sizeof(buf))) > 0) {
            if (send(c, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
          }
          close(c);
        }).detach();
      }
    });
  }
  ~EchoServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 ? fd : -1;
}

// Sends `text` and reads as many bytes back; "" when the connection closed.
std::string RoundTrip(int fd, const std::string& text) {
  if (send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) return "";
  std::string got(text.size(), '\0');
  size_t have = 0;
  while (have < got.size()) {
    const ssize_t n = read(fd, got.data() + have, got.size() - have);
    if (n <= 0) return "";
    have += static_cast<size_t>(n);
  }
  return got;
}

// True when the next read ends the connection: end-of-file, or a reset (the
// proxy closed with our unread bytes in its buffer). Blocks until then.
bool Closed(int fd) {
  char buf[16];
  const ssize_t n = read(fd, buf, sizeof(buf));
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

TEST(TcpProxyTest, ForwardsHoldsWhileCutAndClosesOnRestore) {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  ASSERT_GT(proxy.port(), 0);
  const int before = Connect(proxy.port());
  ASSERT_GE(before, 0);
  EXPECT_EQ(RoundTrip(before, "ping"), "ping");

  proxy.Cut();
  // A connection made while cut is accepted (no refusal) but not forwarded;
  // Restore closes it and the one made before (nothing was echoed).
  const int during = Connect(proxy.port());
  ASSERT_GE(during, 0);
  ASSERT_EQ(send(during, "lost", 4, MSG_NOSIGNAL), 4);
  ASSERT_EQ(send(before, "lost", 4, MSG_NOSIGNAL), 4);
  proxy.Restore();
  EXPECT_TRUE(Closed(during));
  EXPECT_TRUE(Closed(before));

  const int after = Connect(proxy.port());
  ASSERT_GE(after, 0);
  EXPECT_EQ(RoundTrip(after, "pong"), "pong");
  for (int fd : {before, during, after}) close(fd);
}

}  // namespace
}  // namespace ltsweep::chaos
