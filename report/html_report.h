// The HTML report of one sweep (`ltsweep report SWEEP -o report.html`): one
// self-contained page, viewable without a network (inline CSS and SVG, no
// scripts, no external fonts or images), XHTML-compatible markup.
//
// Sections: title and sweep summary; a staged sweep's stages with the
// range-test and plateau charts (report/stage_charts.h); the results table
// (a staged sweep: of one stage, ReportOptions::stage); learning curves
// comparing the groups (each group's best trial: loss, val error, lr against
// epoch, as in Figures 3-6 of the reproduction report) and, per group with
// several trials, the curves of all its trials; the best trial's config,
// per-class error bars and confusion matrix; how the trials ran (device,
// threads, BLAS: each distinct combination and its trials); failed trials
// with their errors. A sweep whose table would have more than max_table_rows
// rows (a random search of 100,000 configs) gets a summary instead: the best
// rows, one table per group-by key, and the number of rows left out.
// All text from the database is escaped.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/status.h"
#include "report/aggregate.h"
#include "report/stage_filter.h"
#include "store/types.h"

namespace ltsweep::report {

struct ReportOptions {
  // How the results table is made (metric, goal, grouping, columns). The
  // metric and goal default to the sweep's when left at their defaults.
  ResultsOptions results;
  // Page title. Default (empty): "Sweep <id>: <name>".
  std::string title;
  // A line such as "generated 2026-11-30 00:10 UTC by ltsweep 0.1.0"; the
  // report has no clock of its own. Default: none.
  std::string footer;
  // Curves of at most this many trials per group section. Default 10.
  int max_trials_per_group_chart = 10;
  // A results table of more rows is summarised (report/table_summary.h):
  // its best rows, one table per group-by key, and how many rows were left
  // out; the learning curves then cover the best max_groups_charted groups
  // and the failed-trials table its first max_table_rows rows. Default 100.
  int max_table_rows = 100;
  // Group sections with curves when the table is summarised. Default 20.
  int max_groups_charted = 20;
  // A staged sweep: the stage whose trials the results table, the curves,
  // the parameters chart and the best trial are of (report/stage_filter.h).
  // Default: the latest stage that has trials; the summary, failed and
  // runtime sections count every stage.
  StageChoice stage;
};

// Renders the page. Fails only when the results table cannot be made for a
// reason other than "no finished trial yet" (a bad option, a stage the sweep
// does not have); a sweep without results gets a page that says so.
StatusOr<std::string> RenderHtmlReport(const SweepHistory& sweep, const ReportOptions& options);

}  // namespace ltsweep::report
