// The dashboard's JSON and pages on real data: a results database written by
// the real store (sweeps, leases, metric batches, finishes), read by
// DashboardApi directly (escaping, paging, the view cache) and over HTTP by
// a real CoordinatorServer in this process (http_listen 127.0.0.1:0).
#include "dashboard/api.h"

#include <httplib.h>

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "coordinator/auth_tokens.h"
#include "coordinator/coordinator_server.h"
#include "dashboard/dashboard.h"
#include "store/store.h"
#include "tests/testing/test_util.h"

namespace ltsweep::dashboard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ltsweep::testing::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kHostile = "<script>alert(1)</script>\"'&<img src=x onerror=alert(2)>";

// Writes sweeps into a store the way workers do.
class Writer {
 public:
  explicit Writer(Store& store) : store_(store) {
    EXPECT_OK(store_.RegisterWorker({"w1", "host", 1, {}}));
  }

  // A sweep of `n` trials: method.loss alternating ce / a hostile string,
  // train.seed = ordinal.
  int64_t Sweep(const std::string& name, int n) {
    NewSweep sweep;
    sweep.name = name;
    sweep.spec_yaml = "name: x\n";
    for (int i = 0; i < n; ++i) {
      const json c = {{"method", {{"loss", i % 2 == 0 ? "ce" : kHostile}}}, {"train", {{"seed", i}, {"epochs", 3}}}};
      sweep.trials.push_back({ResolvedConfigHash(c), c.dump()});
    }
    auto created = store_.CreateSweep(sweep);
    EXPECT_OK(created);
    return created->sweep_id;
  }

  // Leases the next trial and reports `epochs` epochs; finishes it unless
  // `finish` is false. Returns the trial id.
  int64_t Run(int epochs, double best, bool finish = true, const std::string& error = "") {
    auto lease = store_.LeaseNextTrial("w1", 60s);
    EXPECT_OK(lease);
    const Lease l = **lease;
    MetricBatch batch;
    batch.payloads.push_back({-1, "start", R"({"event":"start","class_names":["cat<b>","dog"]})"});
    batch.runtime = AttemptRuntime{2, "OpenBLAS <x>", 1, "cpu"};
    batch.log_chunks.push_back({0, "loading data <script>alert(1)</script>\n"});
    for (int e = 0; e < epochs; ++e) {
      batch.metrics.push_back({e, "val_error", best + 0.1 * (epochs - 1 - e)});
      batch.metrics.push_back({e, "train_loss", 1.0 / (e + 1)});
      batch.metrics.push_back({e, "lr", 0.1});
      batch.per_class.push_back({e, "error", 0, best / 2});
      batch.per_class.push_back({e, "error", 1, best * 1.5});
      batch.payloads.push_back({e, "confusion", "[[9,1],[2,8]]"});
    }
    EXPECT_OK(store_.ReportMetrics(l.trial_id, l.token, batch));
    if (finish) {
      FinishRequest f;
      f.outcome = error.empty() ? AttemptOutcome::kSucceeded : AttemptOutcome::kFailedPermanent;
      f.exit_code = error.empty() ? 0 : 2;
      f.error = error;
      EXPECT_OK(store_.FinishAttempt(l.trial_id, l.token, f));
    }
    return l.trial_id;
  }

 private:
  Store& store_;
};

class DashboardApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.File("sweeps.db"), StoreOptions());
    ASSERT_OK(store);
    store_ = std::move(store).value();
    writer_ = std::make_unique<Writer>(*store_);
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Writer> writer_;
};

TEST_F(DashboardApiTest, HostileNamesAndValuesAreEscapedInEveryPart) {
  const int64_t sweep = writer_->Sweep(kHostile, 4);
  writer_->Run(3, 0.3);
  writer_->Run(3, 0.2);
  const int64_t failed = writer_->Run(1, 0.5, true, std::string("bad \xff\xfe utf8 ") + kHostile);
  DashboardApi api(*store_, DashboardOptions());

  auto list = api.Sweeps();
  ASSERT_OK(list);
  // JSON carries the name as data, exactly; the serializer escapes it.
  EXPECT_EQ((*list)["sweeps"][0]["name"], kHostile);
  auto view = api.SweepView(sweep);
  ASSERT_OK(view);
  const std::string text = DumpJson(*view);
  for (const char* part : {"results_html", "parallel_svg", "best_html"}) {
    const std::string html = (*view)[part].get<std::string>();
    EXPECT_THAT(html, Not(HasSubstr("<script"))) << part;
    EXPECT_THAT(html, Not(HasSubstr("<img"))) << part;
  }
  EXPECT_THAT((*view)["results_html"].get<std::string>(), HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT((*view)["parallel_svg"].get<std::string>(), HasSubstr("&lt;img src=x onerror=alert(2)&gt;"));
  for (const auto& svg : (*view)["curves"]) EXPECT_THAT(svg.get<std::string>(), Not(HasSubstr("<script")));

  auto trial = api.Trial(failed);
  ASSERT_OK(trial);
  // Invalid UTF-8 from a trainer is replaced, never a thrown exception.
  const std::string trial_text = DumpJson(*trial);
  EXPECT_THAT(trial_text, HasSubstr("bad \xef\xbf\xbd"));
  for (const auto& [key, value] : trial->items()) {
    if (!value.is_string()) continue;
    EXPECT_THAT(value.get<std::string>(), Not(HasSubstr("<script"))) << key;
    EXPECT_THAT(value.get<std::string>(), Not(HasSubstr("<img"))) << key;
  }
  EXPECT_THAT((*trial)["attempts_html"].get<std::string>(), HasSubstr("OpenBLAS &lt;x&gt; (1 thread)"));
}

TEST_F(DashboardApiTest, SweepViewHasTheTableCurvesParallelPlotAndBestTrial) {
  const int64_t sweep = writer_->Sweep("table2", 4);
  writer_->Run(3, 0.30);
  const int64_t best = writer_->Run(3, 0.20);
  writer_->Run(3, 0.40);
  writer_->Run(2, 0.50, /*finish=*/false);  // still running: 2 epochs done
  DashboardApi api(*store_, DashboardOptions());
  auto summary = api.Sweep(sweep);
  ASSERT_OK(summary);
  EXPECT_EQ((*summary)["counts"]["succeeded"], 3);
  EXPECT_EQ((*summary)["counts"]["running"], 1);
  EXPECT_EQ((*summary)["epochs"]["expected"], 12);
  EXPECT_EQ((*summary)["epochs"]["finished"], 9);
  auto view = api.SweepView(sweep);
  ASSERT_OK(view);
  EXPECT_EQ((*view)["epochs_running_done"], 2);
  EXPECT_EQ((*view)["best_trial"], best);
  EXPECT_EQ((*view)["basis"], "histories");
  EXPECT_THAT((*view)["results_html"].get<std::string>(), HasSubstr("<table class=\"results\">"));
  EXPECT_GE((*view)["curves"].size(), 2u);  // loss, val error, lr
  EXPECT_THAT((*view)["parallel_svg"].get<std::string>(), HasSubstr("(best)"));
  const std::string best_html = (*view)["best_html"];
  EXPECT_THAT(best_html, HasSubstr("Per-class error"));
  EXPECT_THAT(best_html, HasSubstr("Confusion matrix"));
  EXPECT_THAT(best_html, HasSubstr("<tr class=\"changed\"><td>train.epochs</td>"));
}

// A staged sweep's page is of its latest stage with trials: the range
// test's lower error neither joins the grid's table nor becomes its best.
TEST_F(DashboardApiTest, StagedSweepShowsItsLastStage) {
  NewSweep staged;
  staged.name = "scheme";
  staged.spec_yaml = "name: scheme\n";
  staged.trials = {{"r0", R"({"train":{"lr_schedule":{"type":"range_test"},"epochs":3}})"}};
  staged.stages = {{"range_test", "lr_bounds"}, {"grid", ""}};
  auto created = store_->CreateSweep(staged);
  ASSERT_OK(created);
  const int64_t range_test = writer_->Run(3, 0.10);
  StageAdvance advance;
  advance.sweep_id = created->sweep_id;
  advance.found_json = R"({"min_lr":0.02,"max_lr":0.3})";
  advance.next_trials = {{"g0", R"({"method":{"loss":"ce"},"train":{"epochs":3}})"},
                         {"g1", R"({"method":{"loss":"ldam"},"train":{"epochs":3}})"}};
  ASSERT_OK(store_->AdvanceStage(advance));
  writer_->Run(3, 0.40);
  const int64_t grid_best = writer_->Run(3, 0.30);
  DashboardApi api(*store_, DashboardOptions());
  auto view = api.SweepView(created->sweep_id);
  ASSERT_OK(view);
  EXPECT_EQ((*view)["best_trial"], grid_best);
  EXPECT_NE((*view)["best_trial"], range_test);
  const std::string results = (*view)["results_html"];
  EXPECT_THAT(results, HasSubstr("stage 2 of 2 (grid); 1 trial of earlier stages not shown"));
  EXPECT_THAT(results, Not(HasSubstr("range_test")));
  // The stages and what each found are on the page, as in the static report.
  const std::string stages_html = (*view)["stages_html"];
  EXPECT_THAT(stages_html, HasSubstr("<h2>Stages</h2>"));
  EXPECT_THAT(stages_html, HasSubstr("range_test"));
  EXPECT_THAT(stages_html, HasSubstr("max_lr"));
}

TEST_F(DashboardApiTest, LargeSweepsUseBestValuesAndSayWhichTrialsAreBest) {
  const int64_t sweep = writer_->Sweep("big", 6);
  for (int i = 0; i < 5; ++i) writer_->Run(3, 0.2 + 0.05 * i);
  DashboardOptions options;
  options.max_history_trials = 3;  // this sweep counts as large
  DashboardApi api(*store_, options);
  auto view = api.SweepView(sweep);
  ASSERT_OK(view);
  EXPECT_EQ((*view)["basis"], "best values");
  EXPECT_EQ((*view)["parallel_lines"], 5);
  EXPECT_EQ((*view)["best_trial"], 1 + 0);  // the first trial ran best (0.2)
  EXPECT_THAT((*view)["best_html"].get<std::string>(), HasSubstr("Confusion matrix"));  // read whole
}

TEST_F(DashboardApiTest, TrialsArePagedByOrdinalAndFiltered) {
  const int64_t sweep = writer_->Sweep("paged", 7);
  writer_->Run(3, 0.3);
  DashboardApi api(*store_, DashboardOptions());
  std::vector<int> ordinals;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = api.TrialsPage(sweep, after, "3", "");
    ASSERT_OK(page);
    EXPECT_LE((*page)["trials"].size(), 3u);
    for (const auto& t : (*page)["trials"]) ordinals.push_back(t["ordinal"]);
    if ((*page)["next_after"].is_null()) break;
    after = std::to_string((*page)["next_after"].get<int64_t>());
  }
  EXPECT_EQ(ordinals, (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  auto page = api.TrialsPage(sweep, "", "", "succeeded");
  ASSERT_OK(page);
  ASSERT_EQ((*page)["trials"].size(), 1u);
  EXPECT_EQ((*page)["trials"][0]["state"], "succeeded");
  EXPECT_THAT((*page)["trials"][0]["params"].get<std::string>(), HasSubstr("train.seed=0"));
  auto queued = api.TrialsPage(sweep, "", "", "queued");
  ASSERT_OK(queued);
  EXPECT_THAT((*queued)["trials"][0]["params"].get<std::string>(), HasSubstr("method.loss="));

  for (auto [after_text, limit, state] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"x", "", ""}, {"", "0", ""}, {"", "501", ""}, {"", "", "sleeping"}}) {
    auto bad = api.TrialsPage(sweep, after_text, limit, state);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
  }
  EXPECT_EQ(api.TrialsPage(999, "", "", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(api.Sweep(999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(api.Trial(999).status().code(), StatusCode::kNotFound);
}

TEST_F(DashboardApiTest, ViewIsCachedForTheRefreshIntervalWhileTrialsRun) {
  const int64_t sweep = writer_->Sweep("cached", 3);
  writer_->Run(2, 0.3, /*finish=*/false);
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  DashboardApi api(*store_, DashboardOptions(), [&] { return now; });
  auto first = api.SweepView(sweep);
  ASSERT_OK(first);
  EXPECT_EQ((*first)["epochs_running_done"], 2);
  writer_->Run(3, 0.2);  // another trial finishes: the counts change
  auto cached = api.SweepView(sweep);
  ASSERT_OK(cached);
  EXPECT_EQ(*cached, *first);  // within the interval: the cached view
  now += 1500ms;
  auto fresh = api.SweepView(sweep);
  ASSERT_OK(fresh);
  EXPECT_EQ((*fresh)["sweep"]["counts"]["succeeded"], 1);
}

// --- Over HTTP, served by a real coordinator ------------------------------------

class DashboardHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(coordinator::CoordinatorOptions()); }
  void Start(coordinator::CoordinatorOptions options) {
    options.db_path = dir_.File("sweeps.db");
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    options.log = [](const std::string&) {};
    if (server_) server_->Shutdown();
    server_ = std::make_unique<coordinator::CoordinatorServer>(options);
    ASSERT_OK(server_->Start());
    writer_ = std::make_unique<Writer>(*server_->store());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
  }
  void TearDown() override { server_->Shutdown(); }

  json GetJson(const std::string& path) {
    auto r = client_->Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    return json::parse(r->body);
  }

  TempDir dir_;
  std::unique_ptr<coordinator::CoordinatorServer> server_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DashboardHttpTest, PagesAssetsAndJsonFollowTheSweep) {
  const int64_t sweep = writer_->Sweep(kHostile, 3);
  const int64_t trial = writer_->Run(3, 0.3);

  for (const std::string& path :
       std::vector<std::string>{"/", "/sweeps/" + std::to_string(sweep), "/trials/" + std::to_string(trial)}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("text/html"));
    EXPECT_THAT(r->get_header_value("Content-Security-Policy"), HasSubstr("script-src 'self'"));
    EXPECT_THAT(r->body, HasSubstr("<script src=\"/assets/dashboard.js\"></script>"));
    EXPECT_THAT(r->body, Not(HasSubstr("http://"))) << "no asset from another origin";
    EXPECT_THAT(r->body, Not(HasSubstr("https://")));
  }
  auto js = client_->Get("/assets/dashboard.js");
  ASSERT_TRUE(js);
  EXPECT_THAT(js->get_header_value("Content-Type"), HasSubstr("javascript"));
  EXPECT_THAT(js->body, HasSubstr("/api/sweeps/"));
  auto css = client_->Get("/assets/dashboard.css");
  ASSERT_TRUE(css);
  EXPECT_THAT(css->body, HasSubstr("table.config"));

  json list = GetJson("/api/sweeps");
  ASSERT_EQ(list["sweeps"].size(), 1u);
  EXPECT_EQ(list["sweeps"][0]["name"], kHostile);
  json summary = GetJson("/api/sweeps/" + std::to_string(sweep));
  EXPECT_EQ(summary["counts"]["succeeded"], 1);
  const std::string version = summary["version"];
  json view = GetJson("/api/sweeps/" + std::to_string(sweep) + "/view");
  EXPECT_EQ(view["best_trial"], trial);
  json page = GetJson("/api/sweeps/" + std::to_string(sweep) + "/trials?limit=2");
  EXPECT_EQ(page["trials"].size(), 2u);
  EXPECT_EQ(page["next_after"], 1);
  json trial_view = GetJson("/api/trials/" + std::to_string(trial));
  EXPECT_THAT(trial_view["config_html"].get<std::string>(), HasSubstr("<tr class=\"changed\"><td>train.epochs</td>"));
  // The trainer's stderr as the coordinator keeps it, escaped.
  EXPECT_THAT(trial_view["logs_html"].get<std::string>(),
              HasSubstr("<pre class=\"log\">loading data &lt;script&gt;alert(1)&lt;/script&gt;\n</pre>"));

  // A second trial finishes: the summary's counts and version follow.
  writer_->Run(3, 0.2);
  json after = GetJson("/api/sweeps/" + std::to_string(sweep));
  EXPECT_EQ(after["counts"]["succeeded"], 2);
  EXPECT_NE(after["version"], version);

  auto missing = client_->Get("/api/sweeps/12345");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto bad = client_->Get("/api/sweeps/" + std::to_string(sweep) + "/trials?limit=abc");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("limit"));
}

TEST_F(DashboardHttpTest, WithTokensEveryPageAndEndpointNeedsAReadToken) {
  coordinator::CoordinatorOptions options;
  const std::string file = dir_.File("tokens");
  auto read = coordinator::CreateToken(file, coordinator::Role::kRead, "reader");
  ASSERT_OK(read);
  auto worker = coordinator::CreateToken(file, coordinator::Role::kWorker, "gpu-box");
  ASSERT_OK(worker);
  options.security.auth_tokens_file = file;
  Start(options);
  const int64_t sweep = writer_->Sweep("secret", 2);
  const std::vector<std::string> paths = {"/", "/sweeps/" + std::to_string(sweep), "/assets/dashboard.js",
                                          "/api/sweeps", "/api/sweeps/" + std::to_string(sweep) + "/view"};
  for (const std::string& path : paths) {
    auto anonymous = client_->Get(path);
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401) << path;
    EXPECT_THAT(anonymous->body, Not(HasSubstr("secret"))) << path;
    auto wrong_role = client_->Get(path, {{"Authorization", "Bearer " + worker->token}});
    ASSERT_TRUE(wrong_role);
    EXPECT_EQ(wrong_role->status, 401) << path;
    auto reader = client_->Get(path, {{"Authorization", "Bearer " + read->token}});
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->status, 200) << path;
  }
  // A browser: ?token= once, then the cookie it set, as the page's polls do.
  auto first = client_->Get("/sweeps/" + std::to_string(sweep) + "?token=" + read->token);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 303);
  const std::string cookie = first->get_header_value("Set-Cookie");
  ASSERT_THAT(cookie, HasSubstr("HttpOnly"));
  auto polled = client_->Get("/api/sweeps/" + std::to_string(sweep), {{"Cookie", cookie.substr(0, cookie.find(';'))}});
  ASSERT_TRUE(polled);
  EXPECT_EQ(polled->status, 200);
  EXPECT_EQ(json::parse(polled->body)["name"], "secret");
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace ltsweep::dashboard
