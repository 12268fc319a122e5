#include "dashboard/pages.h"

#include <fmt/format.h>

namespace ltsweep::dashboard {

namespace {

// `page` and `id` are ours (a name and digits), never user text.
std::string Shell(const std::string& page, const std::string& id, const std::string& title, const std::string& main) {
  return fmt::format(R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{2}</title>
<link rel="stylesheet" href="/assets/dashboard.css">
</head>
<body data-page="{0}" data-id="{1}">
<header><a href="/" class="home">ltsweep</a> <span id="crumbs"></span><span id="status" class="status">loading&#8230;</span></header>
<main>
{3}
</main>
<script src="/assets/dashboard.js"></script>
</body>
</html>
)html",
                     page, id, title, main);
}

}  // namespace

std::string SweepsPageHtml() {
  return Shell("sweeps", "", "ltsweep: sweeps", R"html(<h1>Sweeps</h1>
<table class="list" id="sweeps">
<thead><tr><th>sweep</th><th>name</th><th>state</th><th>progress</th><th>trials</th><th>queued</th><th>running</th><th>succeeded</th><th>failed</th><th>stopped</th><th>created</th></tr></thead>
<tbody id="sweeps-body"></tbody>
</table>
<p class="note" id="sweeps-empty" hidden>No sweep yet: <code>ltsweep submit SPEC</code>.</p>)html");
}

std::string SweepPageHtml(int64_t sweep_id) {
  return Shell("sweep", std::to_string(sweep_id), fmt::format("ltsweep: sweep {}", sweep_id), R"html(<h1 id="title">Sweep</h1>
<section id="progress-section">
<h2>Progress</h2>
<p><progress id="progress" max="1" value="0"></progress> <span id="progress-text"></span></p>
<table class="counts"><thead><tr id="counts-head"></tr></thead><tbody><tr id="counts"></tr></tbody></table>
</section>
<section id="stages"></section>
<section><h2>Results</h2><div id="results"></div></section>
<section><h2>Learning curves (best trial of each group)</h2><div id="curves" class="charts"></div></section>
<section><h2>Parameters against the metric</h2><div id="parallel" class="charts"></div></section>
<section><h2>Best trial</h2><div id="best"></div></section>
<section>
<h2>Trials</h2>
<p class="pager">state <select id="state-filter"><option value="">all</option></select>
<button id="first-page" type="button">first</button> <button id="prev-page" type="button">previous</button>
<button id="next-page" type="button">next</button> <span id="page-text"></span></p>
<table class="list" id="trials">
<thead><tr><th>trial</th><th>#</th><th>state</th><th>parameters</th><th>best</th><th>last</th><th>best epoch</th><th>attempts</th><th>worker</th><th>error</th></tr></thead>
<tbody id="trials-body"></tbody>
</table>
</section>)html");
}

std::string TrialPageHtml(int64_t trial_id) {
  return Shell("trial", std::to_string(trial_id), fmt::format("ltsweep: trial {}", trial_id), R"html(<h1 id="title">Trial</h1>
<section><div id="summary"></div></section>
<section><h2>Learning curves</h2><div id="curves" class="charts"></div></section>
<section><h2>Per-class error and confusion matrix</h2><div id="charts"></div></section>
<section><h2>Config</h2><div id="config"></div></section>
<section><h2>Attempts</h2><div id="attempts"></div></section>
<section><h2>Early termination</h2><div id="early-stop"></div></section>
<section><h2>Logs</h2><div id="logs"></div></section>)html");
}

}  // namespace ltsweep::dashboard
