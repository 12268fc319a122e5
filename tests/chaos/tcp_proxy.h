// TcpProxy: a TCP forwarder on loopback that the chaos harness cuts to
// partition one worker from the coordinator without network namespaces.
//
//   TcpProxy proxy(coordinator_port);   // listens on 127.0.0.1:<any port>
//   worker --coordinator 127.0.0.1:<proxy.port()>
//   proxy.Cut();      // a black hole: no byte crosses, nothing is closed
//   proxy.Restore();  // every connection is closed; new ones forward again
//
// While cut, the proxy behaves like a dropped link: bytes already sent are
// neither delivered nor answered and new connections are accepted but never
// forwarded, so the worker learns of the partition only through its own
// deadlines (no reset, no refusal). Restore() closes every connection
// (the peers reconnect), as a long partition ends in practice.
//
// Thread-safety: Cut(), Restore() and port() may be called from any thread;
// one background thread does the forwarding.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

namespace ltsweep::chaos {

class TcpProxy {
 public:
  // Forwards to 127.0.0.1:upstream_port. port() is 0 when the listener
  // could not be set up.
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void Cut();
  void Restore();

 private:
  struct Loop;
  void Run();

  int upstream_port_;
  int port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // a self-pipe: Cut/Restore/stop wake the loop
  std::atomic<bool> cut_{false};
  std::atomic<bool> restore_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ltsweep::chaos
