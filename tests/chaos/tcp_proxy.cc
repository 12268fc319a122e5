#include "tests/chaos/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace ltsweep::chaos {

namespace {

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// One proxied connection: bytes read from one side wait in a buffer until
// the other side takes them.
struct Pipe {
  int client = -1;
  int upstream = -1;  // -1: a connection accepted while cut (never forwarded)
  std::string to_upstream, to_client;
  bool dead = false;
};

int ConnectUpstream(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  SetNonBlocking(fd);
  return fd;
}

// Moves what `from` has into `buffer`; false when `from` closed or failed.
bool ReadInto(int from, std::string* buffer) {
  char chunk[65536];
  const ssize_t n = read(from, chunk, sizeof(chunk));
  if (n > 0) {
    buffer->append(chunk, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

// Writes what it can of `buffer` to `to`; false when `to` failed.
bool Flush(int to, std::string* buffer) {
  while (!buffer->empty()) {
    // MSG_NOSIGNAL: a peer that went away must not SIGPIPE the driver.
    const ssize_t n = send(to, buffer->data(), buffer->size(), MSG_NOSIGNAL);
    if (n > 0) {
      buffer->erase(0, static_cast<size_t>(n));
    } else {
      return n < 0 && (errno == EAGAIN || errno == EINTR);
    }
  }
  return true;
}

void Close(Pipe* p) {
  if (p->client >= 0) close(p->client);
  if (p->upstream >= 0) close(p->upstream);
  p->client = p->upstream = -1;
  p->dead = true;
}

}  // namespace

TcpProxy::TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(listener_, 64) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || pipe2(wake_, O_CLOEXEC) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  SetNonBlocking(listener_);
  SetNonBlocking(wake_[0]);
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  if (wake_[1] >= 0 && write(wake_[1], "x", 1) < 0) {
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : {listener_, wake_[0], wake_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void TcpProxy::Cut() {
  cut_ = true;
  if (write(wake_[1], "x", 1) < 0) {
  }
}

void TcpProxy::Restore() {
  restore_ = true;
  cut_ = false;
  if (write(wake_[1], "x", 1) < 0) {
  }
}

void TcpProxy::Run() {
  std::vector<Pipe> pipes;
  while (!stop_) {
    if (restore_.exchange(false)) {
      // A connection still waiting in the listen backlog was made while cut
      // (its handshake was done before Restore): closed too, never forwarded.
      for (int c; (c = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) close(c);
      for (Pipe& p : pipes) Close(&p);
    }
    const bool cut = cut_;
    // pollfd layout: wake pipe, listener, then (client, upstream) per pipe.
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    for (const Pipe& p : pipes) {
      const bool live = !cut && p.upstream >= 0;
      // A negative fd is skipped by poll: stalled connections wake nothing.
      fds.push_back({live ? p.client : -1, static_cast<short>(POLLIN | (p.to_client.empty() ? 0 : POLLOUT)), 0});
      fds.push_back({live ? p.upstream : -1, static_cast<short>(POLLIN | (p.to_upstream.empty() ? 0 : POLLOUT)), 0});
    }
    if (poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    char drain[64];
    while (read(wake_[0], drain, sizeof(drain)) > 0) {
    }
    const size_t polled = pipes.size();  // pipes accepted below have no pollfd yet
    if (fds[1].revents & POLLIN) {
      while (true) {
        const int c = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) break;
        Pipe p;
        p.client = c;
        p.upstream = cut_ ? -1 : ConnectUpstream(upstream_port_);  // -1 while cut: held, never forwarded
        if (!cut_ && p.upstream < 0) {
          close(c);  // the coordinator is down: refused, as a direct connect would be
          continue;
        }
        pipes.push_back(std::move(p));
      }
    }
    for (size_t i = 0; i < polled && !cut; ++i) {
      Pipe& p = pipes[i];
      if (p.dead || p.upstream < 0) continue;
      const short c_ev = fds[2 + 2 * i].revents, u_ev = fds[3 + 2 * i].revents;
      bool ok = true;
      if (c_ev & (POLLIN | POLLHUP | POLLERR)) ok = ReadInto(p.client, &p.to_upstream) && ok;
      if (u_ev & (POLLIN | POLLHUP | POLLERR)) ok = ReadInto(p.upstream, &p.to_client) && ok;
      ok = Flush(p.upstream, &p.to_upstream) && Flush(p.client, &p.to_client) && ok;
      if (!ok) Close(&p);
    }
    std::vector<Pipe> live;
    for (Pipe& p : pipes) {
      if (!p.dead) live.push_back(std::move(p));
    }
    pipes.swap(live);
  }
  for (Pipe& p : pipes) Close(&p);
}

}  // namespace ltsweep::chaos
