// HttpServer: the embedded, read-only HTTP server of the daemons — the
// coordinator's dashboard and /metrics (`ltsweep coordinator --http`,
// `ltsweep run --http`) and the worker's /metrics (`ltsweep worker --http`).
//
//   HttpOptions options;
//   options.listen = "127.0.0.1:0";                // port 0 picks a free port
//   HttpServer server(options);
//   server.Get("/metrics", [&](const HttpRequest&) {
//     return HttpResponse::Text(registry.Exposition(), "text/plain; version=0.0.4");
//   });
//   server.Get(R"(/api/sweeps/(\d+))", [&](const HttpRequest& request) {
//     return HttpResponse::Json(SweepJson(std::stoll(request.matches[1])));
//   });
//   LTSWEEP_ASSIGN_OR_RETURN(int port, server.Start());
//   ...
//   server.Stop();
//
// Routes are regular expressions matched against the whole path; the
// captures are in HttpRequest::matches ([0] is the whole path). Only GET and
// HEAD are served: the HTTP side never changes anything (submit and cancel
// stay on gRPC, behind their roles).
//
// Security follows the gRPC side (docs/security.md):
//   - A non-loopback listen address needs TLS (tls_cert_file/tls_key_file,
//     the same PEM files as the gRPC port) or `insecure`; Start() refuses it
//     otherwise, naming the flags.
//   - With an `authorize` callback every request must carry a token the
//     callback accepts: an "Authorization: Bearer TOKEN" header (curl,
//     Prometheus' `authorization` setting), or a `token` cookie. A browser
//     gets the cookie by opening any page once with `?token=TOKEN`: the
//     answer sets it (HttpOnly, SameSite=Strict) and redirects to the same
//     page without the token in the address. A request without an accepted
//     token gets 401 and never reaches a handler. Exempt paths (e.g. a
//     health probe) are listed in HttpOptions::open_paths.
//
// A handler that throws answers 500 with the exception's text and is logged;
// an unknown path answers 404.
//
// Ownership: owns its listening socket and threads; handlers and the
// authorize callback are called from the server's threads and must outlive
// Stop(). Thread-safety: register routes before Start(); Start() and Stop()
// from one thread; handlers may run concurrently with each other.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/status.h"

namespace ltsweep::http {

struct HttpRequest {
  std::string path;
  // Captures of the route's regular expression; [0] is the whole path.
  std::vector<std::string> matches;
  // Query parameters (the last value wins when one is repeated).
  std::map<std::string, std::string> params;

  // params[key] when present, else `fallback`.
  std::string Param(const std::string& key, const std::string& fallback = "") const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers (e.g. Cache-Control).
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Text(std::string body, std::string content_type = "text/plain; charset=utf-8");
  static HttpResponse Html(std::string body);
  static HttpResponse Json(std::string body);
  // `status` with `message` as plain text (404, 400, 503 ...).
  static HttpResponse Error(int status, std::string message);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Whether `token` may read. Called once per request carrying a token.
using Authorizer = std::function<bool(std::string_view token)>;

struct HttpOptions {
  // host:port; port 0 picks a free port (Start() returns it).
  std::string listen = "127.0.0.1:0";
  // Serve HTTPS with these PEM files (both or neither).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Plain HTTP on a non-loopback address.
  bool insecure = false;
  // The flag that sets `insecure`, and the doc to read, as Start()'s refusal
  // of a non-loopback address names them.
  std::string insecure_flag = "--insecure";
  std::string security_doc = "docs/security.md";
  // Empty: no token asked for. Else every request needs a token it accepts.
  Authorizer authorize;
  // Paths served without a token (exact match), e.g. "/healthz".
  std::vector<std::string> open_paths;
  // Worker threads serving requests.
  int threads = 4;
  // Where refused requests and handler errors are logged; empty: nowhere.
  LogFn log;
};

class HttpServer {
 public:
  explicit HttpServer(HttpOptions options);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves GET (and HEAD) requests whose whole path matches `pattern` (an
  // ECMAScript regular expression). Earlier registrations win. Before Start().
  void Get(const std::string& pattern, HttpHandler handler);

  // Binds and starts serving in background threads; returns the bound port.
  // INVALID_ARGUMENT for a bad address, a non-loopback address without TLS or
  // insecure, one of the TLS files without the other; UNAVAILABLE when the
  // address cannot be bound; FAILED_PRECONDITION when a TLS file cannot be
  // read.
  StatusOr<int> Start();
  // Stops accepting, waits for the requests in flight. Idempotent.
  void Stop();

  int port() const;
  // "http" or "https".
  const char* scheme() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ltsweep::http
