// The coordinator's HTTP side (`ltsweep coordinator --http ADDR`,
// `ltsweep run --http ADDR`): which pages and endpoints it serves, and with
// which security. One home for the list of routes: a new page or endpoint is
// one line in AddCoordinatorRoutes (http_routes.cc).
//
//   /healthz    "ok" while the coordinator serves (open: no token needed)
//   /           the dashboard: /, /sweeps/ID, /trials/ID, /assets/*, /api/*
//               (dashboard/dashboard.h, added by dashboard::AddDashboardRoutes)
//   /metrics    Prometheus metrics
//
// Security mirrors the gRPC port (docs/security.md): the same TLS certificate
// and key (--tls-cert/--tls-key) make it HTTPS; a non-loopback address
// without them needs --insecure; with --auth-tokens every request needs a
// token whose role may read (admin, submit, read), as an "Authorization:
// Bearer" header or the cookie that opening a page with ?token=TOKEN sets.
//
// Thread-safety: the routes run on the HTTP server's threads and only read
// the store (its read connections, store/read_pool.h).
#pragma once

#include <memory>

#include "common/status.h"
#include "coordinator/options.h"
#include "http/http_server.h"
#include "store/store.h"

namespace ltsweep::coordinator {

// The HTTP server for `options.http_listen`, with its security set up and
// every route added; not started. `store` is borrowed and must outlive it.
// INVALID_ARGUMENT / NOT_FOUND / PERMISSION_DENIED as for the tokens file.
StatusOr<std::unique_ptr<http::HttpServer>> MakeCoordinatorHttpServer(const CoordinatorOptions& options,
                                                                       Store& store);

// Adds the coordinator's routes (the table above) to `server`.
void AddCoordinatorRoutes(http::HttpServer& server, Store& store, const CoordinatorOptions& options);

}  // namespace ltsweep::coordinator
