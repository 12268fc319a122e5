// Coordinator handlers and scheduler, in-process on a real SQLite file with a
// FakeClock: leases, fencing, expiry and retries, results from the done
// event, permanent failures, cancellation, bad input. The gRPC layer and
// real processes are covered by integration_test.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "coordinator/client_handler.h"
#include "coordinator/coordinator_server.h"
#include "coordinator/scheduler.h"
#include "coordinator/worker_handler.h"
#include "proto/client_service.grpc.pb.h"
#include "proto/worker_service.grpc.pb.h"
#include "store/store.h"
#include "tests/coordinator/handler_test_fixture.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using std::chrono::milliseconds;
using ::ltsweep::testing::TempDir;

constexpr char kSpec[] = R"(name: small
config:
  train: {epochs: 3}
seeds: [0, 1]
max_attempts: 2
parameters:
  train.lr: {values: [0.1, 0.2]}
)";

class CoordinatorTest : public HandlerTest {
 protected:
  void SetUp() override {
    options_.lease_ttl = milliseconds(2000);
    options_.heartbeat_interval = milliseconds(500);
    ASSERT_NO_FATAL_FAILURE(OpenHandlers());
    scheduler_ = std::make_unique<Scheduler>(*store_, options_);
  }

  int64_t Submit(const std::string& yaml = kSpec) {
    v1::SubmitSweepRequest req;
    req.set_spec_yaml(yaml);
    req.set_source_name("small.yaml");
    v1::SubmitSweepResponse resp;
    Status s = clients_->SubmitSweep(req, &resp);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return resp.sweep_id();
  }

  std::string RegisterWorker(const std::string& host) {
    v1::RegisterRequest req;
    req.set_host(host);
    req.set_slots(2);
    v1::RegisterResponse resp;
    Status s = workers_->Register(req, &resp);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(resp.lease_ttl_ms(), 2000);
    EXPECT_EQ(resp.heartbeat_interval_ms(), 500);
    return resp.worker_id();
  }

  v1::LeaseResponse Lease(const std::string& worker) {
    v1::LeaseRequest req;
    req.set_worker_id(worker);
    v1::LeaseResponse resp;
    Status s = workers_->Lease(req, &resp);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return resp;
  }

  static v1::LeaseRef Ref(const v1::LeaseResponse& l) {
    v1::LeaseRef ref;
    ref.set_trial_id(l.trial_id());
    ref.set_attempt(l.attempt());
    ref.set_token(l.token());
    return ref;
  }

  Status Report(const std::string& worker, const v1::LeaseResponse& l, int epoch, double val_error) {
    v1::ReportMetricsRequest req;
    req.set_worker_id(worker);
    *req.mutable_lease() = Ref(l);
    auto* r = req.add_rows();
    r->set_epoch(epoch);
    r->set_name("val_error");
    r->set_value(val_error);
    r->set_class_index(-1);
    auto* c = req.add_rows();
    c->set_epoch(epoch);
    c->set_name("error");
    c->set_value(val_error * 2);
    c->set_class_index(1);
    auto* p = req.add_payloads();
    p->set_epoch(epoch);
    p->set_kind("confusion");
    p->set_json("[[1,0],[0,1]]");
    v1::ReportMetricsResponse resp;
    return workers_->ReportMetrics(req, &resp);
  }

  Status Finish(const std::string& worker, const v1::LeaseResponse& l, v1::AttemptOutcome outcome,
                const std::string& result_json = "", const std::string& error = "") {
    v1::FinishAttemptRequest req;
    req.set_worker_id(worker);
    *req.mutable_lease() = Ref(l);
    req.set_outcome(outcome);
    req.set_result_json(result_json);
    req.set_error(error);
    v1::FinishAttemptResponse resp;
    return workers_->FinishAttempt(req, &resp);
  }

  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(CoordinatorTest, RunsATrialFromLeaseToResult) {
  const int64_t sweep = Submit();
  const std::string w = RegisterWorker("host-a");
  v1::LeaseResponse l = Lease(w);
  ASSERT_TRUE(l.granted());
  EXPECT_EQ(l.sweep_id(), sweep);
  EXPECT_EQ(l.attempt(), 1);
  EXPECT_FALSE(l.token().empty());
  EXPECT_NE(l.config_json().find("\"epochs\":3"), std::string::npos);
  ASSERT_OK(Report(w, l, 0, 0.5));
  ASSERT_OK(Report(w, l, 1, 0.3));
  ASSERT_OK(Report(w, l, 1, 0.3));  // a resend: no duplicate rows
  ASSERT_OK(Finish(w, l, v1::SUCCEEDED, R"({"event":"done","best_val_error":0.3,"best_epoch":1,"last_val_error":0.3})"));

  v1::QueryMetricsRequest q;
  q.set_trial_id(l.trial_id());
  v1::QueryMetricsResponse m;
  ASSERT_OK(clients_->QueryMetrics(q, &m));
  EXPECT_EQ(m.attempt(), 1);
  EXPECT_EQ(m.points_size(), 4);    // 2 epochs x (val_error + one per-class row)
  EXPECT_EQ(m.payloads_size(), 2);  // confusion of each epoch

  v1::ListTrialsRequest lt;
  lt.set_sweep_id(sweep);
  v1::ListTrialsResponse trials;
  ASSERT_OK(clients_->ListTrials(lt, &trials));
  ASSERT_EQ(trials.trials_size(), 4);
  const v1::TrialInfo* done = nullptr;
  for (const auto& t : trials.trials()) {
    if (t.trial_id() == l.trial_id()) done = &t;
  }
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->state(), "succeeded");
  EXPECT_TRUE(done->has_best());
  EXPECT_DOUBLE_EQ(done->best_value(), 0.3);
  EXPECT_EQ(done->best_epoch(), 1);

  v1::GetSweepRequest gs;
  gs.set_sweep_id(sweep);
  v1::SweepInfo info;
  ASSERT_OK(clients_->GetSweep(gs, &info));
  EXPECT_EQ(info.trials_succeeded(), 1);
  EXPECT_EQ(info.trials_queued(), 3);
}

TEST_F(CoordinatorTest, ExpiredLeaseIsRetriedAndTheStaleTokenIsFenced) {
  Submit();
  const std::string a = RegisterWorker("host-a");
  const std::string b = RegisterWorker("host-b");
  v1::LeaseResponse first = Lease(a);
  ASSERT_TRUE(first.granted());
  ASSERT_OK(Report(a, first, 0, 0.9));

  // A heartbeat within the TTL keeps the lease.
  clock_.Advance(milliseconds(1500));
  v1::HeartbeatRequest hb;
  hb.set_worker_id(a);
  *hb.add_leases() = Ref(first);
  v1::HeartbeatResponse hb_resp;
  ASSERT_OK(workers_->Heartbeat(hb, &hb_resp));
  ASSERT_EQ(hb_resp.leases_size(), 1);
  EXPECT_TRUE(hb_resp.leases(0).alive());
  clock_.Advance(milliseconds(1500));
  ASSERT_OK(scheduler_->Tick());
  ASSERT_OK(Report(a, first, 1, 0.8));

  // Silent past the deadline: the trial goes back to the queue as attempt 2.
  clock_.Advance(milliseconds(2500));
  ASSERT_OK(scheduler_->Tick());
  v1::LeaseResponse second;
  for (int i = 0; i < 4; ++i) {
    second = Lease(b);
    ASSERT_TRUE(second.granted());
    if (second.trial_id() == first.trial_id()) break;
    ASSERT_OK(Finish(b, second, v1::SUCCEEDED, R"({"best_val_error":0.1,"last_val_error":0.1})"));
  }
  ASSERT_EQ(second.trial_id(), first.trial_id());
  EXPECT_EQ(second.attempt(), 2);
  EXPECT_NE(second.token(), first.token());
  ASSERT_OK(Report(b, second, 0, 0.4));

  // The first worker comes back: everything it sends is refused.
  EXPECT_EQ(Report(a, first, 2, 0.0).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Finish(a, first, v1::SUCCEEDED, R"({"best_val_error":0.0})").code(), StatusCode::kFailedPrecondition);
  ASSERT_OK(workers_->Heartbeat(hb, &hb_resp));
  EXPECT_FALSE(hb_resp.leases(hb_resp.leases_size() - 1).alive());

  ASSERT_OK(Finish(b, second, v1::SUCCEEDED, R"({"best_val_error":0.4,"best_epoch":0,"last_val_error":0.4})"));
  auto trial = store_->GetTrial(first.trial_id());
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kSucceeded);
  EXPECT_DOUBLE_EQ(*trial->trial.best_metric, 0.4);
  auto rows = store_->GetMetrics(first.trial_id(), 2);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(rows->metrics[0].value, 0.4);
  bool logged = false;
  for (const auto& l : log_) logged |= l.find("expired: retried as attempt 2") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(CoordinatorTest, PermanentFailureIsNotRetriedAndKeepsTheMessage) {
  Submit();
  const std::string w = RegisterWorker("host-a");
  v1::LeaseResponse l = Lease(w);
  ASSERT_OK(Finish(w, l, v1::FAILED_PERMANENT, "", "invalid config: data.root: no such folder"));
  auto trial = store_->GetTrial(l.trial_id());
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kFailed);
  EXPECT_EQ(trial->trial.error, "invalid config: data.root: no such folder");
  EXPECT_EQ(trial->trial.attempts, 1);
}

TEST_F(CoordinatorTest, CrashesAreRetriedUpToMaxAttempts) {
  Submit();  // max_attempts: 2
  const std::string w = RegisterWorker("host-a");
  v1::LeaseResponse l = Lease(w);
  const int64_t trial = l.trial_id();
  ASSERT_OK(Finish(w, l, v1::FAILED_RETRYABLE, "", "trainer crashed: killed by signal 11"));
  v1::LeaseResponse again;
  do {
    again = Lease(w);
    ASSERT_TRUE(again.granted());
  } while (again.trial_id() != trial);
  EXPECT_EQ(again.attempt(), 2);
  ASSERT_OK(Finish(w, again, v1::FAILED_RETRYABLE, "", "trainer crashed again"));
  auto info = store_->GetTrial(trial);
  ASSERT_OK(info);
  EXPECT_EQ(info->trial.state, TrialState::kFailed);
  EXPECT_EQ(info->trial.error, "trainer crashed again");
}

TEST_F(CoordinatorTest, CancelTellsTheHolderThroughItsHeartbeat) {
  const int64_t sweep = Submit();
  const std::string w = RegisterWorker("host-a");
  v1::LeaseResponse l = Lease(w);
  v1::CancelSweepRequest c;
  c.set_sweep_id(sweep);
  v1::CancelSweepResponse cr;
  ASSERT_OK(clients_->CancelSweep(c, &cr));
  EXPECT_EQ(cr.trials_cancelled(), 4);
  v1::HeartbeatRequest hb;
  hb.set_worker_id(w);
  *hb.add_leases() = Ref(l);
  v1::HeartbeatResponse resp;
  ASSERT_OK(workers_->Heartbeat(hb, &resp));
  ASSERT_EQ(resp.leases_size(), 1);
  EXPECT_FALSE(resp.leases(0).alive());
  EXPECT_EQ(Report(w, l, 0, 0.1).code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Lease(w).granted());
}

TEST_F(CoordinatorTest, BadInputIsRefused) {
  v1::SubmitSweepRequest req;
  req.set_source_name("bad.yaml");
  req.set_spec_yaml("parameters:\n  train.lr: {values: [0.1, fast]}\n");
  v1::SubmitSweepResponse resp;
  Status s = clients_->SubmitSweep(req, &resp);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bad.yaml:2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("train.lr"), std::string::npos) << s.message();

  v1::LeaseRequest lr;
  lr.set_worker_id("no-such-worker");
  v1::LeaseResponse lresp;
  EXPECT_EQ(workers_->Lease(lr, &lresp).code(), StatusCode::kNotFound);
  v1::HeartbeatRequest hb;
  hb.set_worker_id("no-such-worker");
  v1::HeartbeatResponse hresp;
  EXPECT_EQ(workers_->Heartbeat(hb, &hresp).code(), StatusCode::kNotFound);
  v1::RegisterRequest reg;
  reg.set_host("h");
  reg.set_slots(0);
  v1::RegisterResponse rresp;
  EXPECT_EQ(workers_->Register(reg, &rresp).code(), StatusCode::kInvalidArgument);
}

// --max-spec-kb: a spec over the limit is refused before any parsing, naming
// the limit; the coordinator keeps serving (a small spec still submits).
TEST_F(CoordinatorTest, SpecsOverMaxSpecBytesAreRefused) {
  CoordinatorOptions small = options_;
  small.max_spec_bytes = 1024;
  ClientHandler handler(*store_, small);
  v1::SubmitSweepRequest req;
  req.set_source_name("big.yaml");
  req.set_spec_yaml(std::string(kSpec) + "# " + std::string(2000, 'x') + "\n");
  v1::SubmitSweepResponse resp;
  Status s = handler.SubmitSweep(req, &resp);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("1 KiB"), std::string::npos) << s.message();
  req.set_spec_yaml(kSpec);
  EXPECT_TRUE(handler.SubmitSweep(req, &resp).ok());
  EXPECT_GT(resp.sweep_id(), 0);
}

// The gRPC server itself: status codes cross the wire unchanged, oversized
// messages are refused, health checking answers.
TEST(CoordinatorServerTest, ServesHealthRefusesOversizedAndForwardsCodes) {
  TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("sweeps.db");
  options.listen = "127.0.0.1:0";
  options.max_message_bytes = 64 << 10;
  options.log = [](const std::string&) {};
  CoordinatorServer server(options);
  auto port = server.Start();
  ASSERT_OK(port);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(*port), grpc::InsecureChannelCredentials());
  auto clients = v1::ClientService::NewStub(channel);
  auto workers = v1::WorkerService::NewStub(channel);

  {
    grpc::ClientContext ctx;
    v1::SubmitSweepRequest req;
    req.set_source_name("bad.yaml");
    req.set_spec_yaml("method: sideways\nparameters:\n  train.lr: {value: 0.1}\n");
    v1::SubmitSweepResponse resp;
    grpc::Status s = clients->SubmitSweep(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("bad.yaml:1"), std::string::npos) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    v1::SubmitSweepRequest req;
    req.set_spec_yaml(std::string(100 << 10, '#'));
    v1::SubmitSweepResponse resp;
    grpc::Status s = clients->SubmitSweep(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    v1::LeaseRequest req;
    req.set_worker_id("nobody");
    v1::LeaseResponse resp;
    EXPECT_EQ(workers->Lease(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    // grpc.health.v1.Health/Check with an empty request: SERVING is field 1 = 1.
    grpc::GenericStub generic(channel);
    grpc::ClientContext ctx;
    grpc::ByteBuffer request, response;
    grpc::Slice empty;
    request = grpc::ByteBuffer(&empty, 1);
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
    generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        std::lock_guard<std::mutex> lock(mu);
                        status = s;
                        done = true;
                        cv.notify_all();
                      });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    ASSERT_TRUE(status.ok()) << status.error_message();
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(response.Dump(&slices).ok());
    std::string bytes;
    for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    EXPECT_EQ(bytes, std::string("\x08\x01", 2));
  }
  server.Shutdown();
}

// Many workers at once on the callback service (each with a connection of
// its own): their writes share transactions and are answered from other
// threads, yet every trial runs exactly once, every row lands once, and a
// report with a stale token in the middle of it all is refused.
TEST(CoordinatorServerTest, ManyConcurrentWorkersRunEachTrialOnceWithAllRows) {
  constexpr int kWorkers = 12;
  constexpr int kTrials = 60;
  constexpr int kEpochs = 3;
  TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("sweeps.db");
  options.listen = "127.0.0.1:0";
  options.log = [](const std::string&) {};
  CoordinatorServer server(options);
  auto port = server.Start();
  ASSERT_OK(port);
  const std::string address = "127.0.0.1:" + std::to_string(*port);
  int64_t sweep_id = 0;
  {
    auto clients = v1::ClientService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    std::string seeds;
    for (int i = 0; i < kTrials; ++i) seeds += (i ? "," : "") + std::to_string(i);
    grpc::ClientContext ctx;
    v1::SubmitSweepRequest req;
    req.set_spec_yaml("name: many\nconfig:\n  train: {epochs: 3}\nseeds: [" + seeds +
                      "]\nparameters:\n  train.lr: {value: 0.1}\n");
    v1::SubmitSweepResponse resp;
    ASSERT_TRUE(clients->SubmitSweep(&ctx, req, &resp).ok());
    sweep_id = resp.sweep_id();
  }

  std::atomic<int> stale_refused{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what, const grpc::Status& s) {
    std::lock_guard<std::mutex> lock(failures_mu);
    failures.push_back(what + ": " + std::to_string(static_cast<int>(s.error_code())) + " " + s.error_message());
  };
  std::vector<std::vector<int64_t>> ran(kWorkers);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      grpc::ChannelArguments args;
      args.SetInt("ltsweep.test_worker", w);  // a connection of its own
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto stub = v1::WorkerService::NewStub(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
      const std::string id = "w" + std::to_string(w);
      {
        grpc::ClientContext ctx;
        // Twelve connections opening at once: wait for this one to be up
        // rather than fail fast on a transient connect error.
        ctx.set_wait_for_ready(true);
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::RegisterRequest req;
        req.set_worker_id(id);
        req.set_host("host");
        req.set_slots(1);
        v1::RegisterResponse resp;
        grpc::Status s = stub->Register(&ctx, req, &resp);
        if (!s.ok()) return fail("register", s);
      }
      for (;;) {
        grpc::ClientContext lctx;
        v1::LeaseRequest lreq;
        lreq.set_worker_id(id);
        v1::LeaseResponse lease;
        grpc::Status ls = stub->Lease(&lctx, lreq, &lease);
        if (!ls.ok()) return fail("lease", ls);
        if (!lease.granted()) return;
        ran[w].push_back(lease.trial_id());
        v1::LeaseRef ref;
        ref.set_trial_id(lease.trial_id());
        ref.set_attempt(lease.attempt());
        ref.set_token(lease.token());
        for (int epoch = 0; epoch < kEpochs; ++epoch) {
          v1::ReportMetricsRequest req;
          req.set_worker_id(id);
          *req.mutable_lease() = ref;
          auto* row = req.add_rows();
          row->set_epoch(epoch);
          row->set_name("val_error");
          row->set_value(0.5 - 0.1 * epoch + 0.001 * static_cast<double>(lease.trial_id()));
          row->set_class_index(-1);
          auto* per_class = req.add_rows();
          per_class->set_epoch(epoch);
          per_class->set_name("error");
          per_class->set_value(0.25);
          per_class->set_class_index(epoch % 2);
          grpc::ClientContext ctx;
          v1::ReportMetricsResponse resp;
          grpc::Status rs = stub->ReportMetrics(&ctx, req, &resp);
          if (!rs.ok() || resp.rows_written() != 2) fail("report", rs);
          if (epoch == 1) {
            // The same rows under a token that is not the lease's.
            req.mutable_lease()->set_token("stale");
            grpc::ClientContext sctx;
            grpc::Status s = stub->ReportMetrics(&sctx, req, &resp);
            if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) ++stale_refused;
          }
        }
        grpc::ClientContext fctx;
        v1::FinishAttemptRequest freq;
        freq.set_worker_id(id);
        *freq.mutable_lease() = ref;
        freq.set_outcome(v1::SUCCEEDED);
        v1::FinishAttemptResponse fresp;
        grpc::Status fs = stub->FinishAttempt(&fctx, freq, &fresp);
        if (!fs.ok() || fresp.trial_state() != "succeeded") fail("finish " + fresp.trial_state(), fs);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, std::vector<std::string>());
  EXPECT_EQ(stale_refused.load(), kTrials);

  std::set<int64_t> distinct;
  size_t total = 0;
  for (const auto& ids : ran) {
    distinct.insert(ids.begin(), ids.end());
    total += ids.size();
  }
  EXPECT_EQ(total, static_cast<size_t>(kTrials));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kTrials));
  Store& store = *server.store();
  for (int64_t id : distinct) {
    auto trial = store.GetTrial(id);
    ASSERT_OK(trial);
    EXPECT_EQ(trial->trial.state, TrialState::kSucceeded);
    EXPECT_EQ(trial->trial.attempts, 1);
    ASSERT_TRUE(trial->trial.best_metric.has_value());
    EXPECT_NEAR(*trial->trial.best_metric, 0.3 + 0.001 * static_cast<double>(id), 1e-12);
    auto metrics = store.GetMetrics(id);
    ASSERT_OK(metrics);
    EXPECT_EQ(metrics->metrics.size(), static_cast<size_t>(kEpochs));
    EXPECT_EQ(metrics->per_class.size(), static_cast<size_t>(kEpochs));
  }
  auto sweep = store.GetSweep(sweep_id);
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->sweep.state, SweepState::kDone);
  EXPECT_EQ(store.stats().queued_writes, 0);
  EXPECT_OK(store.CheckIntegrity());
  server.Shutdown();
}

TEST(CoordinatorServerTest, WatchStreamsTheSweepsEventsUntilItEnds) {
  TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("sweeps.db");
  options.listen = "127.0.0.1:0";
  options.watch_poll = milliseconds(20);
  options.log = [](const std::string&) {};
  CoordinatorServer server(options);
  auto port = server.Start();
  ASSERT_OK(port);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(*port), grpc::InsecureChannelCredentials());
  auto clients = v1::ClientService::NewStub(channel);
  auto workers = v1::WorkerService::NewStub(channel);

  v1::SubmitSweepResponse submitted;
  {
    grpc::ClientContext ctx;
    v1::SubmitSweepRequest req;
    req.set_spec_yaml("name: one\nconfig:\n  train: {epochs: 2}\nparameters:\n  train.lr: {value: 0.1}\n");
    ASSERT_TRUE(clients->SubmitSweep(&ctx, req, &submitted).ok());
  }
  // Watch from another thread while a worker runs the trial.
  // The stream sends the counts first, then deltas: the trial's changes
  // come as deltas once the first message is in.
  std::vector<v1::SweepEvent> events;
  grpc::Status watch_status;
  std::atomic<bool> watching{false};
  std::thread watcher([&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::WatchSweepRequest req;
    req.set_sweep_id(submitted.sweep_id());
    auto reader = clients->WatchSweep(&ctx, req);
    v1::SweepEvent e;
    while (reader->Read(&e)) {
      events.push_back(e);
      watching = true;
    }
    watching = true;
    watch_status = reader->Finish();
  });
  for (int i = 0; i < 500 && !watching.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(watching.load());
  v1::RegisterResponse reg;
  {
    grpc::ClientContext ctx;
    v1::RegisterRequest req;
    req.set_host("h");
    req.set_slots(1);
    ASSERT_TRUE(workers->Register(&ctx, req, &reg).ok());
  }
  v1::LeaseResponse lease;
  {
    grpc::ClientContext ctx;
    v1::LeaseRequest req;
    req.set_worker_id(reg.worker_id());
    ASSERT_TRUE(workers->Lease(&ctx, req, &lease).ok());
    ASSERT_TRUE(lease.granted());
  }
  {
    grpc::ClientContext ctx;
    v1::FinishAttemptRequest req;
    req.set_worker_id(reg.worker_id());
    req.mutable_lease()->set_trial_id(lease.trial_id());
    req.mutable_lease()->set_attempt(lease.attempt());
    req.mutable_lease()->set_token(lease.token());
    req.set_outcome(v1::SUCCEEDED);
    req.set_result_json(R"({"best_val_error":0.5,"last_val_error":0.5,"best_epoch":1})");
    v1::FinishAttemptResponse resp;
    ASSERT_TRUE(workers->FinishAttempt(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.trial_state(), "succeeded");
  }
  watcher.join();
  EXPECT_TRUE(watch_status.ok()) << watch_status.error_message();
  ASSERT_FALSE(events.empty());
  bool saw_success = false;
  for (const auto& e : events) {
    saw_success |= e.trial().state() == "succeeded";
    for (const auto& t : e.changed()) EXPECT_TRUE(t.config_json().empty()) << "deltas are lean";
  }
  EXPECT_TRUE(saw_success);
  EXPECT_EQ(events.front().changed_size(), 0) << "the first message carries the counts only";
  EXPECT_EQ(events.back().sweep().state(), "done");
  server.Shutdown();
}

}  // namespace
}  // namespace ltsweep::coordinator
