#include "dashboard/dashboard.h"

#include <memory>
#include <string>

#include "dashboard/api.h"
#include "dashboard/assets.h"
#include "dashboard/pages.h"

namespace ltsweep::dashboard {

namespace {

using http::HttpRequest;
using http::HttpResponse;

int HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

HttpResponse NoStore(HttpResponse r) {
  r.headers.push_back({"Cache-Control", "no-store"});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  return r;
}

HttpResponse Page(std::string html) {
  HttpResponse r = HttpResponse::Html(std::move(html));
  r.headers.push_back({"Content-Security-Policy", kContentSecurityPolicy});
  r.headers.push_back({"X-Frame-Options", "DENY"});
  return NoStore(std::move(r));
}

HttpResponse Json(const StatusOr<nlohmann::json>& value) {
  if (!value.ok()) return NoStore(HttpResponse::Error(HttpStatusOf(value.status()), value.status().message()));
  return NoStore(HttpResponse::Json(DumpJson(*value)));
}

HttpResponse Asset(const char* body, const char* type) {
  HttpResponse r = HttpResponse::Text(body, type);
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  r.headers.push_back({"Cache-Control", "no-cache"});
  return r;
}

int64_t Id(const HttpRequest& r) { return std::stoll(r.matches[1]); }

}  // namespace

void AddDashboardRoutes(http::HttpServer& server, Store& store, const DashboardOptions& options) {
  auto api = std::make_shared<DashboardApi>(store, options);
  server.Get("/", [](const HttpRequest&) { return Page(SweepsPageHtml()); });
  server.Get(R"(/sweeps/(\d{1,18}))", [](const HttpRequest& r) { return Page(SweepPageHtml(Id(r))); });
  server.Get(R"(/trials/(\d{1,18}))", [](const HttpRequest& r) { return Page(TrialPageHtml(Id(r))); });
  server.Get("/assets/dashboard.js",
             [](const HttpRequest&) { return Asset(kDashboardJs, "text/javascript; charset=utf-8"); });
  server.Get("/assets/dashboard.css", [](const HttpRequest&) { return Asset(kDashboardCss, "text/css; charset=utf-8"); });
  server.Get("/api/sweeps", [api](const HttpRequest&) { return Json(api->Sweeps()); });
  server.Get(R"(/api/sweeps/(\d{1,18}))", [api](const HttpRequest& r) { return Json(api->Sweep(Id(r))); });
  server.Get(R"(/api/sweeps/(\d{1,18})/view)", [api](const HttpRequest& r) { return Json(api->SweepView(Id(r))); });
  server.Get(R"(/api/sweeps/(\d{1,18})/trials)", [api](const HttpRequest& r) {
    return Json(api->TrialsPage(Id(r), r.Param("after"), r.Param("limit"), r.Param("state")));
  });
  server.Get(R"(/api/trials/(\d{1,18}))", [api](const HttpRequest& r) { return Json(api->Trial(Id(r))); });
}

}  // namespace ltsweep::dashboard
