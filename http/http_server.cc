#include "http/http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "proto/credentials.h"

namespace ltsweep::http {
namespace {

constexpr const char* kTokenCookie = "token";

// "host:port" or "[v6]:port" -> host and port.
Status SplitHostPort(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return InvalidArgumentError(fmt::format("--http {}: expected host:port, e.g. 127.0.0.1:8080", listen));
  }
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = listen.substr(colon + 1);
  if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5 || std::stoi(p) > 65535) {
    return InvalidArgumentError(fmt::format("--http {}: the port must be a number from 0 to 65535", listen));
  }
  *host = h;
  *port = std::stoi(p);
  return Status::Ok();
}

bool Readable(const std::string& path) { return std::ifstream(path).good(); }

// The token of a request: the Authorization header's bearer token, else the
// cookie. Empty when it has neither.
std::string RequestToken(const httplib::Request& request) {
  const std::string auth = request.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0) {
    return auth.substr(kBearer.size());
  }
  const std::string cookies = request.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < cookies.size()) {
    size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    std::string pair = cookies.substr(pos, end - pos);
    const size_t start = pair.find_first_not_of(' ');
    if (start != std::string::npos) pair = pair.substr(start);
    const std::string prefix = std::string(kTokenCookie) + "=";
    if (pair.compare(0, prefix.size(), prefix) == 0) return pair.substr(prefix.size());
    pos = end + 1;
  }
  return "";
}

// The request's path and query without the `token` parameter.
std::string AddressWithoutToken(const httplib::Request& request) {
  std::string query;
  for (const auto& [key, value] : request.params) {
    if (key == "token") continue;
    query += (query.empty() ? "?" : "&") + httplib::detail::encode_query_param(key) + "=" +
             httplib::detail::encode_query_param(value);
  }
  return request.path + query;
}

}  // namespace

std::string HttpRequest::Param(const std::string& key, const std::string& fallback) const {
  const auto it = params.find(key);
  return it == params.end() ? fallback : it->second;
}

HttpResponse HttpResponse::Text(std::string body, std::string content_type) {
  HttpResponse response;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

HttpResponse HttpResponse::Html(std::string body) { return Text(std::move(body), "text/html; charset=utf-8"); }

HttpResponse HttpResponse::Json(std::string body) { return Text(std::move(body), "application/json"); }

HttpResponse HttpResponse::Error(int status, std::string message) {
  HttpResponse response = Text(std::move(message) + "\n");
  response.status = status;
  return response;
}

struct HttpServer::Impl {
  HttpOptions options;
  std::vector<std::pair<std::regex, HttpHandler>> routes;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  std::atomic<bool> accept_loop_ended{false};
  int port = 0;
  bool tls = false;

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }
  // True when the request may go on; else `response` is the refusal (401)
  // or the cookie-setting redirect.
  bool Admit(const httplib::Request& request, httplib::Response& response) const;
  void Serve(const httplib::Request& request, httplib::Response& response) const;
  Status Bind();
};

bool HttpServer::Impl::Admit(const httplib::Request& request, httplib::Response& response) const {
  if (!options.authorize) return true;
  for (const auto& open : options.open_paths) {
    if (request.path == open) return true;
  }
  const bool in_address = request.has_param("token");
  const std::string token = in_address ? request.get_param_value("token") : RequestToken(request);
  if (in_address) {
    if (options.authorize(token)) {
      response.status = 303;
      response.set_header("Set-Cookie", fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", kTokenCookie,
                                                    token, tls ? "; Secure" : ""));
      response.set_header("Location", AddressWithoutToken(request));
      return false;
    }
  } else if (!token.empty() && options.authorize(token)) {
    return true;
  }
  Log(fmt::format("http: refused {} from {}: {}", request.path, request.remote_addr,
                  in_address || !token.empty() ? "token not accepted" : "no token"));
  response.status = 401;
  response.set_header("WWW-Authenticate", "Bearer");
  response.set_content(
      "401: this server needs a token with the read role: send 'Authorization: Bearer TOKEN', or open the page "
      "once with ?token=TOKEN\n",
      "text/plain; charset=utf-8");
  return false;
}

void HttpServer::Impl::Serve(const httplib::Request& request, httplib::Response& response) const {
  if (!Admit(request, response)) return;
  for (const auto& [pattern, handler] : routes) {
    std::smatch match;
    if (!std::regex_match(request.path, match, pattern)) continue;
    HttpRequest in;
    in.path = request.path;
    for (const auto& group : match) in.matches.push_back(group.str());
    for (const auto& [key, value] : request.params) in.params[key] = value;
    HttpResponse out;
    try {
      out = handler(in);
    } catch (const std::exception& e) {
      Log(fmt::format("http: {} failed: {}", request.path, e.what()));
      out = HttpResponse::Error(500, fmt::format("500: {}", e.what()));
    }
    response.status = out.status;
    for (const auto& [key, value] : out.headers) response.set_header(key, value);
    response.set_content(std::move(out.body), out.content_type);
    return;
  }
  response.status = 404;
  response.set_content(fmt::format("404: no page {}\n", request.path), "text/plain; charset=utf-8");
}

Status HttpServer::Impl::Bind() {
  std::string host;
  int wanted_port = 0;
  LTSWEEP_RETURN_IF_ERROR(SplitHostPort(options.listen, &host, &wanted_port));
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return InvalidArgumentError("--http with TLS needs both --tls-cert and --tls-key");
  }
  tls = !options.tls_cert_file.empty();
  if (!tls && !options.insecure && !proto::IsLoopbackAddress(options.listen)) {
    return InvalidArgumentError(fmt::format(
        "--http {}: a non-loopback address needs TLS (--tls-cert/--tls-key) or {} ({})", options.listen,
        options.insecure_flag, options.security_doc));
  }
  if (tls) {
    for (const auto& file : {options.tls_cert_file, options.tls_key_file}) {
      if (!Readable(file)) return FailedPreconditionError(fmt::format("--http: cannot read TLS file {}", file));
    }
    auto ssl = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(), options.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return FailedPreconditionError(fmt::format("--http: TLS files {} and {} are not a valid certificate and key",
                                                 options.tls_cert_file, options.tls_key_file));
    }
    server = std::move(ssl);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  const int threads = std::max(1, options.threads);
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  auto serve = [this](const httplib::Request& request, httplib::Response& response) { Serve(request, response); };
  server->Get(".*", serve);
  // cpp-httplib's default adds SO_REUSEPORT, with which a second server binds
  // a port that is in use: only SO_REUSEADDR here, so "in use" is an error.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  port = wanted_port == 0 ? server->bind_to_any_port(host) : (server->bind_to_port(host, wanted_port) ? wanted_port : -1);
  if (port <= 0) {
    server.reset();
    return UnavailableError(fmt::format("--http {}: cannot listen there (in use, or not this machine's address)",
                                        options.listen));
  }
  return Status::Ok();
}

HttpServer::HttpServer(HttpOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& pattern, HttpHandler handler) {
  impl_->routes.emplace_back(std::regex(pattern, std::regex::ECMAScript), std::move(handler));
}

StatusOr<int> HttpServer::Start() {
  if (impl_->server) return FailedPreconditionError("HttpServer::Start called twice");
  LTSWEEP_RETURN_IF_ERROR(impl_->Bind());
  httplib::Server* server = impl_->server.get();
  std::atomic<bool>& ended = impl_->accept_loop_ended;
  ended = false;
  impl_->thread = std::thread([server, &ended] {
    server->listen_after_bind();
    ended = true;
  });
  // Bound already: a client connecting now waits in the backlog. Wait until
  // the accept loop runs all the same: cpp-httplib's stop() does nothing
  // before it does, and Stop() would then wait forever.
  while (!server->is_running() && !ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return impl_->port;
}

void HttpServer::Stop() {
  if (!impl_->server) return;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->server.reset();
}

int HttpServer::port() const { return impl_->port; }

const char* HttpServer::scheme() const { return impl_->tls ? "https" : "http"; }

}  // namespace ltsweep::http
