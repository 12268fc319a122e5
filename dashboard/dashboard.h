// The live dashboard: the pages and JSON endpoints the coordinator's HTTP
// port serves (`ltsweep coordinator --http ADDR`, `ltsweep run --http ADDR`;
// docs/dashboard.md), read-only, over the same store as the CLI.
//
//   Pages (HTML shells; their script polls the JSON below every 1.5 s and
//   replaces only the parts whose content changed, so nothing reloads):
//     /                      the sweeps, newest first, with progress
//     /sweeps/ID             progress (trials per state, epochs), the live
//                            results table (grouped as `ltsweep results`),
//                            learning curves of the groups, the parameters
//                            against the metric (parallel coordinates), the
//                            best trial's per-class error and confusion
//                            matrix, and every trial in pages
//     /trials/ID             a trial: its config (changed-from-default keys
//                            first), attempts with what they ran with
//                            (threads, BLAS, device), curves, early-stop
//                            decisions, and a place for its logs
//     /assets/dashboard.js, /assets/dashboard.css  (inside the binary; no
//                            CDN: works offline)
//   JSON (what the pages poll; also fine for scripts and curl):
//     /api/sweeps                       [{id, name, state, counts, ...}]
//     /api/sweeps/ID                    the sweep, counts per state, epochs,
//                                       and `version` (changes with them)
//     /api/sweeps/ID/view               {version, results_html, curves[],
//                                       parallel_svg, best_html, ...}
//     /api/sweeps/ID/trials?after=ORD&limit=N&state=S
//                                       one page of trials by ordinal and
//                                       next_after (null on the last page)
//     /api/trials/ID                    the trial page's parts
//
// Cost per poll does not grow with the sweep: the list and summaries read
// the per-state counts (sweep_trial_counts), the trial table reads one page
// (Store::ListTrialsPage), and the view (tables and charts, which need the
// trials' metrics) is built at most once per DashboardOptions refresh
// interval per sweep and served from a cache in between (sweeps over
// max_history_trials build it from the trials' best values instead of
// their whole histories).
//
// Escaping: every text that comes from a spec, a config, a trainer or a
// worker is escaped where it is written into HTML or SVG (report/svg.h
// XmlEscape) and serialised by nlohmann-json in JSON (invalid UTF-8
// replaced); the script inserts server-made HTML only and sets plain values
// with textContent; pages carry a Content-Security-Policy that allows no
// inline script.
//
// Ownership: the routes borrow `store`, which must outlive the server.
// Thread-safety: handlers run concurrently on the HTTP server's threads;
// they use the store's read connections only, and the view cache has its
// own mutex.
#pragma once

#include <chrono>

#include "http/http_server.h"
#include "store/store.h"

namespace ltsweep::dashboard {

struct DashboardOptions {
  // Trials per page of a sweep's trial table; a request may ask for up to
  // max_page_size. Defaults 50 and 500.
  int page_size = 50;
  int max_page_size = 500;
  // Sweeps with at most this many trials get their view from every trial's
  // whole history; larger ones from the trials' best values (and the
  // histories of the few trials the charts show). Default 2000.
  int max_history_trials = 2000;
  // Rows of the results table before it is summarised (best rows plus one
  // table per key, report/table_summary.h). Default 100.
  int max_table_rows = 100;
  // Lines of the parallel-coordinates plot (the best trials). Default 1000.
  int max_parallel_lines = 1000;
  // A sweep's view is rebuilt at most once per this interval, plus one
  // interval per 1000 trials (capped at max_view_refresh). Defaults 1 s, 30 s.
  std::chrono::milliseconds view_refresh{1000};
  std::chrono::milliseconds max_view_refresh{30000};
};

// Adds the routes above to `server` (before it starts).
void AddDashboardRoutes(http::HttpServer& server, Store& store, const DashboardOptions& options = {});

}  // namespace ltsweep::dashboard
