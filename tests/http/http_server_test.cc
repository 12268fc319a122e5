// http/http_server.h over real sockets on loopback, with cpp-httplib's
// client: routes and captures, errors, tokens (header, cookie, ?token=),
// the loopback rule and TLS with certificates made at run time.
#include "http/http_server.h"

#include <httplib.h>

#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/coordinator/auth_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::http {
namespace {

using ::testing::HasSubstr;
using ltsweep::testing::Describe;

HttpOptions Loopback() {
  HttpOptions options;
  options.listen = "127.0.0.1:0";
  return options;
}

void AddRoutes(HttpServer& server) {
  server.Get(R"(/sweeps/(\d+))", [](const HttpRequest& request) {
    return HttpResponse::Json("{\"sweep\":" + request.matches[1] + ",\"view\":\"" + request.Param("view", "all") +
                              "\"}");
  });
  server.Get("/boom", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("no database"); });
  server.Get("/healthz", [](const HttpRequest&) { return HttpResponse::Text("ok"); });
}

TEST(HttpServerTest, ServesRoutesWithCapturesAndParams) {
  HttpServer server(Loopback());
  AddRoutes(server);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << Describe(port);
  httplib::Client client("127.0.0.1", *port);
  auto got = client.Get("/sweeps/42?view=best");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, R"({"sweep":42,"view":"best"})");
  EXPECT_EQ(got->get_header_value("Content-Type"), "application/json");
  EXPECT_STREQ(server.scheme(), "http");
}

TEST(HttpServerTest, UnknownPathIs404AndAThrowingHandlerIs500) {
  std::vector<std::string> logged;
  HttpOptions options = Loopback();
  options.log = [&](const std::string& line) { logged.push_back(line); };
  HttpServer server(options);
  AddRoutes(server);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << Describe(port);
  httplib::Client client("127.0.0.1", *port);
  auto missing = client.Get("/sweeps/abc");  // the route wants digits
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto boom = client.Get("/boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  EXPECT_THAT(boom->body, HasSubstr("no database"));
  server.Stop();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_THAT(logged[0], HasSubstr("/boom failed: no database"));
}

TEST(HttpServerTest, TokensByHeaderByCookieAndByQueryRedirect) {
  HttpOptions options = Loopback();
  options.authorize = [](std::string_view token) { return token == "good"; };
  options.open_paths = {"/healthz"};
  HttpServer server(options);
  AddRoutes(server);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << Describe(port);
  httplib::Client client("127.0.0.1", *port);

  auto none = client.Get("/sweeps/1");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_THAT(none->body, HasSubstr("read role"));
  auto bad = client.Get("/sweeps/1", {{"Authorization", "Bearer wrong"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  auto good = client.Get("/sweeps/1", {{"Authorization", "Bearer good"}});
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  auto cookie = client.Get("/sweeps/1", {{"Cookie", "theme=dark; token=good"}});
  ASSERT_TRUE(cookie);
  EXPECT_EQ(cookie->status, 200);
  auto open = client.Get("/healthz");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->status, 200);

  // ?token= sets the cookie and sends the browser to the address without it.
  auto login = client.Get("/sweeps/7?token=good&view=best");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 303);
  EXPECT_EQ(login->get_header_value("Location"), "/sweeps/7?view=best");
  EXPECT_THAT(login->get_header_value("Set-Cookie"), HasSubstr("token=good; Path=/; HttpOnly; SameSite=Strict"));
  auto wrong_login = client.Get("/sweeps/7?token=wrong");
  ASSERT_TRUE(wrong_login);
  EXPECT_EQ(wrong_login->status, 401);
}

TEST(HttpServerTest, RefusesNonLoopbackWithoutTlsOrInsecureAndBadAddresses) {
  HttpOptions options;
  options.listen = "0.0.0.0:0";
  HttpServer server(options);
  auto refused = server.Start();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("--insecure"));

  options.insecure = true;
  HttpServer insecure(options);
  auto port = insecure.Start();
  EXPECT_TRUE(port.ok()) << Describe(port);

  for (const char* listen : {"8080", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http"}) {
    HttpOptions bad = Loopback();
    bad.listen = listen;
    HttpServer server_bad(bad);
    auto started = server_bad.Start();
    EXPECT_EQ(started.status().code(), StatusCode::kInvalidArgument) << listen;
  }
}

TEST(HttpServerTest, PortInUseIsUnavailable) {
  HttpServer first(Loopback());
  auto port = first.Start();
  ASSERT_TRUE(port.ok()) << Describe(port);
  HttpOptions options = Loopback();
  options.listen = "127.0.0.1:" + std::to_string(*port);
  HttpServer second(options);
  auto started = second.Start();
  EXPECT_EQ(started.status().code(), StatusCode::kUnavailable) << Describe(started);
}

TEST(HttpServerTest, ServesHttpsWithTheGrpcPortsCertificate) {
  testing::TempDir dir;
  auto pki = testing::MakeTestPki(dir.path());
  if (!pki.ok()) GTEST_SKIP() << Describe(pki);
  HttpOptions options = Loopback();
  options.tls_cert_file = pki->server_cert;
  options.tls_key_file = pki->server_key;
  HttpServer server(options);
  AddRoutes(server);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << Describe(port);
  EXPECT_STREQ(server.scheme(), "https");

  httplib::SSLClient client("127.0.0.1", *port);
  client.set_ca_cert_path(pki->ca_cert.c_str());
  client.enable_server_certificate_verification(true);
  auto got = client.Get("/sweeps/3");
  ASSERT_TRUE(got) << httplib::to_string(got.error());
  EXPECT_EQ(got->status, 200);

  httplib::Client plain("127.0.0.1", *port);  // plain HTTP to a TLS port
  auto refused = plain.Get("/sweeps/3");
  EXPECT_TRUE(!refused || refused->status != 200);

  HttpOptions half = Loopback();
  half.tls_cert_file = pki->server_cert;
  HttpServer half_server(half);
  EXPECT_EQ(half_server.Start().status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ltsweep::http
