// The coordinator's side of fault tolerance (issue 11), in-process on real
// SQLite files and real gRPC on loopback: failure classes from the wire,
// quarantine shown and lifted over ClientService, leases that survive a
// restart and a step of the wall clock, one coordinator per database,
// foreign and corrupt files refused, repeated requests answered once, bad
// metric rows rejected alone, a full disk reported as transient, and the
// spec's timeouts handed out with each lease.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "coordinator/client_handler.h"
#include "coordinator/coordinator_server.h"
#include "coordinator/run_clock.h"
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
resources: {timeout: 2h, no_progress_timeout: 10m}
parameters:
  train.lr: {values: [0.1, 0.2]}
)";

bool Contains(const std::vector<std::string>& lines, const std::string& part) {
  for (const std::string& l : lines) {
    if (l.find(part) != std::string::npos) return true;
  }
  return false;
}

// Handlers on a store of their own, with a fake clock.
class FaultTest : public HandlerTest {
 protected:
  void SetUp() override { Open(StoreOptions()); }

  void Open(StoreOptions so) {
    options_.lease_ttl = milliseconds(2000);
    options_.heartbeat_interval = milliseconds(500);
    ASSERT_NO_FATAL_FAILURE(OpenHandlers(so));
  }

  v1::SubmitSweepResponse Submit(const std::string& request_id = "") {
    v1::SubmitSweepRequest req;
    req.set_spec_yaml(kSpec);
    req.set_source_name("small.yaml");
    req.set_request_id(request_id);
    v1::SubmitSweepResponse resp;
    Status s = clients_->SubmitSweep(req, &resp);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return resp;
  }

  std::string Register(const std::string& host) {
    v1::RegisterRequest req;
    req.set_host(host);
    req.set_slots(1);
    v1::RegisterResponse resp;
    Status s = workers_->Register(req, &resp);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return resp.worker_id();
  }

  v1::LeaseResponse Lease(const std::string& worker, const std::string& request_id = "") {
    v1::LeaseRequest req;
    req.set_worker_id(worker);
    req.set_request_id(request_id);
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

  v1::FinishAttemptResponse Finish(const std::string& worker, const v1::LeaseResponse& l,
                                   v1::AttemptOutcome outcome, const std::string& error) {
    v1::FinishAttemptRequest req;
    req.set_worker_id(worker);
    *req.mutable_lease() = Ref(l);
    req.set_outcome(outcome);
    req.set_error(error);
    v1::FinishAttemptResponse resp;
    Status s = workers_->FinishAttempt(req, &resp);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return resp;
  }

};

TEST_F(FaultTest, RetryElsewhereAndWorkerFaultFromTheWireUseNoTry) {
  Submit();
  const std::string a = Register("host-a");
  const std::string b = Register("host-b");
  // max_attempts is 2: two free retries and one crash leave the trial alive.
  v1::LeaseResponse l1 = Lease(a);
  v1::FinishAttemptResponse f1 = Finish(a, l1, v1::RETRY_ELSEWHERE, "no CUDA device");
  EXPECT_TRUE(f1.requeued());
  v1::LeaseResponse l2 = Lease(b);
  ASSERT_EQ(l2.trial_id(), l1.trial_id());  // the retry went to the other host
  v1::FinishAttemptResponse f2 = Finish(b, l2, v1::WORKER_FAULT, "cannot spawn");
  EXPECT_TRUE(f2.requeued());
  v1::LeaseResponse l3 = Lease(a);
  ASSERT_EQ(l3.trial_id(), l1.trial_id());
  v1::FinishAttemptResponse f3 = Finish(a, l3, v1::FAILED_RETRYABLE, "segfault");
  EXPECT_TRUE(f3.requeued()) << "only one of its two tries is used";
  auto trial = store_->GetTrial(l1.trial_id());
  ASSERT_OK(trial);
  ASSERT_EQ(trial->attempts.size(), 3u);
  EXPECT_EQ(trial->attempts[0].outcome, "retry_elsewhere");
  EXPECT_EQ(trial->attempts[1].outcome, "worker_fault");
  EXPECT_TRUE(Contains(log_, "retry_elsewhere"));
}

TEST_F(FaultTest, ARepeatedLeaseRequestGetsTheSameLease) {
  Submit();
  const std::string w = Register("host-a");
  v1::LeaseResponse first = Lease(w, "lease-req-1");
  ASSERT_TRUE(first.granted());
  v1::LeaseResponse again = Lease(w, "lease-req-1");
  ASSERT_TRUE(again.granted());
  EXPECT_EQ(again.trial_id(), first.trial_id());
  EXPECT_EQ(again.token(), first.token());
  EXPECT_EQ(again.attempt(), first.attempt());
  auto sweep = store_->GetSweep(first.sweep_id());
  ASSERT_OK(sweep);
  EXPECT_EQ(sweep->counts.leased, 1);
}

TEST_F(FaultTest, ARepeatedSubmissionGetsTheSameSweep) {
  v1::SubmitSweepResponse first = Submit("submit-req-1");
  v1::SubmitSweepResponse again = Submit("submit-req-1");
  EXPECT_EQ(again.sweep_id(), first.sweep_id());
  EXPECT_EQ(again.trials_total(), first.trials_total());
  auto sweeps = store_->ListSweeps();
  ASSERT_OK(sweeps);
  EXPECT_EQ(sweeps->size(), 1u);
  EXPECT_NE(Submit("submit-req-2").sweep_id(), first.sweep_id());
}

TEST_F(FaultTest, ABadMetricRowIsRejectedAloneAndCounted) {
  Submit();
  const std::string w = Register("host-a");
  v1::LeaseResponse l = Lease(w);
  v1::ReportMetricsRequest req;
  req.set_worker_id(w);
  *req.mutable_lease() = Ref(l);
  for (const char* name : {"val_error", "", "train_loss"}) {
    auto* r = req.add_rows();
    r->set_epoch(0);
    r->set_name(name);
    r->set_value(0.5);
    r->set_class_index(-1);
  }
  v1::ReportMetricsResponse resp;
  ASSERT_OK(workers_->ReportMetrics(req, &resp));
  EXPECT_EQ(resp.rows_written(), 2);
  EXPECT_EQ(resp.rows_rejected(), 1);
  EXPECT_NE(resp.first_rejection().find("no name"), std::string::npos) << resp.first_rejection();
  EXPECT_TRUE(Contains(log_, "rejected 1 bad row"));
  auto m = store_->GetMetrics(l.trial_id());
  ASSERT_OK(m);
  EXPECT_EQ(m->metrics.size(), 2u);
}

TEST_F(FaultTest, LeasesCarryTheSpecsTimeouts) {
  Submit();
  v1::LeaseResponse l = Lease(Register("host-a"));
  ASSERT_TRUE(l.granted());
  EXPECT_EQ(l.timeout_ms(), 2 * 3600 * 1000);
  EXPECT_EQ(l.no_progress_timeout_ms(), 10 * 60 * 1000);
}

TEST_F(FaultTest, AFullDatabaseIsUnavailableToWorkers) {
  Submit();
  const std::string w = Register("host-a");
  v1::LeaseResponse l = Lease(w);
  StoreOptions so;
  so.max_page_count = 1;  // no room to grow at all
  Open(so);
  v1::ReportMetricsRequest req;
  req.set_worker_id(w);
  *req.mutable_lease() = Ref(l);
  for (int e = 0; e < 3000; ++e) {
    auto* r = req.add_rows();
    r->set_epoch(e);
    r->set_name("a_metric_with_a_rather_long_name_" + std::to_string(e));
    r->set_value(0.5);
    r->set_class_index(-1);
  }
  v1::ReportMetricsResponse resp;
  Status s = workers_->ReportMetrics(req, &resp);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
}

// The store could not write for a while (disk full): heartbeats failed with
// UNAVAILABLE and no lease could be renewed. Once writes work again, the
// leases get a fresh deadline instead of expiring for the coordinator's own
// trouble.
TEST_F(FaultTest, LeasesAreNotLostToAStoreThatCouldNotWrite) {
  auto failing = std::make_shared<std::atomic<bool>>(false);
  StoreOptions so;
  so.before_commit = [failing]() -> Status {
    if (*failing) return UnavailableError("disk full (injected)");
    return Status::Ok();
  };
  Open(so);
  Scheduler scheduler(*store_, options_);
  Submit();
  v1::LeaseResponse l = Lease(Register("host-a"));
  ASSERT_TRUE(l.granted());
  *failing = true;
  clock_.Advance(milliseconds(5000));  // past the 2 s TTL; heartbeats could not be written
  EXPECT_EQ(scheduler.Tick().code(), StatusCode::kUnavailable);
  *failing = false;
  ASSERT_OK(scheduler.Tick());
  auto trial = store_->GetTrial(l.trial_id());
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kLeased);
  EXPECT_EQ(trial->trial.attempts, 1);
  EXPECT_EQ(trial->trial.lease_deadline_ms, clock_.NowMillis() + 2000);
  EXPECT_TRUE(Contains(log_, "fresh deadline"));
}

// Issue 11: the chaos harness's SIGKILLed healthy workers were quarantined
// for their lost leases. Lost leases expired by the scheduler do not count.
TEST_F(FaultTest, LostLeasesDoNotQuarantineAWorker) {
  StoreOptions so;
  so.quarantine_after = 2;
  Open(so);
  Scheduler scheduler(*store_, options_);
  Submit();
  const std::string w = Register("host-a");
  for (int i = 0; i < 3; ++i) {
    v1::LeaseResponse l = Lease(w);
    ASSERT_TRUE(l.granted()) << "lease " << i + 1;
    clock_.Advance(milliseconds(5000));  // past the 2 s TTL: the worker was killed
    ASSERT_OK(scheduler.Tick());
    auto trial = store_->GetTrial(l.trial_id());
    ASSERT_OK(trial);
    ASSERT_FALSE(trial->attempts.empty());
    EXPECT_EQ(trial->attempts.back().state, AttemptState::kLost);
  }
  EXPECT_TRUE(Lease(w).granted());  // not quarantined
  EXPECT_FALSE(Contains(log_, "quarantined"));
}

// --- Quarantine over gRPC ---------------------------------------------------------

struct Served {
  std::unique_ptr<CoordinatorServer> server;
  std::unique_ptr<v1::ClientService::Stub> clients;
  std::unique_ptr<v1::WorkerService::Stub> workers;
};

Served Serve(CoordinatorOptions options) {
  Served s;
  s.server = std::make_unique<CoordinatorServer>(std::move(options));
  auto port = s.server->Start();
  EXPECT_OK(port);
  if (!port.ok()) return s;
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(*port),
                                     grpc::InsecureChannelCredentials());
  s.clients = v1::ClientService::NewStub(channel);
  s.workers = v1::WorkerService::NewStub(channel);
  return s;
}

CoordinatorOptions ServerOptions(const TempDir& dir, Clock* clock, std::vector<std::string>* log) {
  CoordinatorOptions options;
  options.db_path = dir.File("sweeps.db");
  options.listen = "127.0.0.1:0";
  options.lease_ttl = milliseconds(2000);
  options.heartbeat_interval = milliseconds(500);
  options.scan_interval = milliseconds(600'000);  // scans only when a test asks
  options.clock = clock;
  auto mu = std::make_shared<std::mutex>();
  options.log = [log, mu](const std::string& line) {
    std::lock_guard<std::mutex> lock(*mu);
    log->push_back(line);
  };
  return options;
}

template <typename Response, typename Call>
Response Rpc(Call call) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  Response resp;
  grpc::Status s = call(&ctx, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

TEST(CoordinatorFaultServerTest, QuarantineIsShownAndLiftedByHand) {
  TempDir dir;
  FakeClock clock;
  std::vector<std::string> log;
  CoordinatorOptions options = ServerOptions(dir, &clock, &log);
  options.quarantine_after = 2;
  options.quarantine_cooldown = milliseconds(60'000);
  Served s = Serve(options);
  ASSERT_TRUE(s.clients);

  v1::SubmitSweepRequest submit;
  submit.set_spec_yaml(kSpec);
  Rpc<v1::SubmitSweepResponse>([&](auto* ctx, auto* r) { return s.clients->SubmitSweep(ctx, submit, r); });
  v1::RegisterRequest reg;
  reg.set_host("host-a");
  reg.set_slots(1);
  const std::string w = Rpc<v1::RegisterResponse>([&](auto* ctx, auto* r) {
                          return s.workers->Register(ctx, reg, r);
                        }).worker_id();
  v1::LeaseRequest lease_req;
  lease_req.set_worker_id(w);
  for (const char* error : {"cannot write trial.json", "work dir full"}) {
    v1::LeaseResponse l = Rpc<v1::LeaseResponse>([&](auto* ctx, auto* r) { return s.workers->Lease(ctx, lease_req, r); });
    ASSERT_TRUE(l.granted());
    v1::FinishAttemptRequest fin;
    fin.set_worker_id(w);
    fin.mutable_lease()->set_trial_id(l.trial_id());
    fin.mutable_lease()->set_token(l.token());
    fin.set_outcome(v1::WORKER_FAULT);
    fin.set_error(error);
    Rpc<v1::FinishAttemptResponse>([&](auto* ctx, auto* r) { return s.workers->FinishAttempt(ctx, fin, r); });
  }
  // Quarantined: idle although trials are queued.
  EXPECT_FALSE(Rpc<v1::LeaseResponse>([&](auto* ctx, auto* r) { return s.workers->Lease(ctx, lease_req, r); }).granted());
  v1::ListWorkersResponse listed = Rpc<v1::ListWorkersResponse>(
      [&](auto* ctx, auto* r) { return s.clients->ListWorkers(ctx, v1::ListWorkersRequest(), r); });
  ASSERT_EQ(listed.workers_size(), 1);
  EXPECT_EQ(listed.workers(0).quarantined_until_ms(), clock.NowMillis() + 60'000);
  EXPECT_EQ(listed.workers(0).last_error(), "work dir full");
  EXPECT_TRUE(Contains(log, "quarantined"));

  v1::ReleaseWorkerRequest release;
  release.set_worker_id(w);
  EXPECT_TRUE(Rpc<v1::ReleaseWorkerResponse>([&](auto* ctx, auto* r) {
                return s.clients->ReleaseWorker(ctx, release, r);
              }).released());
  EXPECT_TRUE(Contains(log, "released"));
  EXPECT_TRUE(Rpc<v1::LeaseResponse>([&](auto* ctx, auto* r) { return s.workers->Lease(ctx, lease_req, r); }).granted());
  EXPECT_FALSE(Rpc<v1::ReleaseWorkerResponse>([&](auto* ctx, auto* r) {
                 return s.clients->ReleaseWorker(ctx, release, r);
               }).released());
}

// --- Coordinator outages ----------------------------------------------------------------

TEST(CoordinatorFaultServerTest, ARestartGivesLiveLeasesAFreshDeadline) {
  TempDir dir;
  FakeClock clock;
  std::vector<std::string> log;
  CoordinatorOptions options = ServerOptions(dir, &clock, &log);
  int64_t trial_id = 0;
  {
    CoordinatorServer first(options);
    ASSERT_OK(first.Start());
    Store* store = first.store();
    ASSERT_OK(store->RegisterWorker({"w1", "host-a", 1, {}}));
    NewSweep sweep;
    sweep.name = "s";
    sweep.spec_yaml = "name: s\n";
    sweep.trials.push_back({"h0", "{}"});
    ASSERT_OK(store->CreateSweep(sweep));
    auto lease = store->LeaseNextTrial("w1", options.lease_ttl);
    ASSERT_OK(lease);
    ASSERT_TRUE(lease->has_value());
    trial_id = (*lease)->trial_id;
    first.Shutdown();
  }
  clock.Advance(milliseconds(60'000));  // down for a minute, far past the 2 s TTL
  CoordinatorServer second(options);
  ASSERT_OK(second.Start());
  auto trial = second.store()->GetTrial(trial_id);
  ASSERT_OK(trial);
  EXPECT_EQ(trial->trial.state, TrialState::kLeased);
  EXPECT_EQ(trial->trial.lease_deadline_ms, clock.NowMillis() + 2000);
  EXPECT_EQ(trial->attempts.size(), 1u);
  EXPECT_TRUE(Contains(log, "fresh deadline"));
}

TEST(CoordinatorFaultServerTest, AStepOfTheWallClockDoesNotExpireLeases) {
  TempDir dir;
  FakeClock wall, steady(0);
  std::vector<std::string> log;
  CoordinatorOptions options = ServerOptions(dir, &wall, &log);
  options.steady_clock = &steady;
  CoordinatorServer server(options);
  ASSERT_OK(server.Start());
  Store* store = server.store();
  ASSERT_OK(store->RegisterWorker({"w1", "host-a", 1, {}}));
  NewSweep sweep;
  sweep.name = "s";
  sweep.spec_yaml = "name: s\n";
  sweep.trials.push_back({"h0", "{}"});
  ASSERT_OK(store->CreateSweep(sweep));
  ASSERT_OK(store->LeaseNextTrial("w1", options.lease_ttl));

  wall.Advance(milliseconds(3'600'000));  // NTP steps the clock an hour ahead
  auto expired = store->ExpireLeases();
  ASSERT_OK(expired);
  EXPECT_TRUE(expired->empty());

  steady.Advance(milliseconds(2001));  // but 2 s of real time do expire it
  expired = store->ExpireLeases();
  ASSERT_OK(expired);
  EXPECT_EQ(expired->size(), 1u);
}

TEST(RunClockTest, IsTheWallClockAtStartPlusSteadyTime) {
  FakeClock wall(1'000'000), steady(50);
  RunClock clock(&wall, &steady);
  EXPECT_EQ(clock.NowMillis(), 1'000'000);
  steady.Advance(milliseconds(250));
  wall.Advance(milliseconds(-500'000));  // stepped back
  EXPECT_EQ(clock.NowMillis(), 1'000'250);
}

// --- One coordinator per database ---------------------------------------------------------

TEST(CoordinatorFaultServerTest, ASecondCoordinatorOnTheSameFileRefusesToStart) {
  TempDir dir;
  std::vector<std::string> log;
  CoordinatorOptions options = ServerOptions(dir, nullptr, &log);
  auto first = std::make_unique<CoordinatorServer>(options);
  ASSERT_OK(first->Start());
  CoordinatorServer second(options);
  auto refused = second.Start();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  const std::string message = refused.status().message();
  EXPECT_NE(message.find("pid " + std::to_string(::getpid())), std::string::npos) << message;
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  EXPECT_NE(message.find(host), std::string::npos) << message;
  EXPECT_NE(message.find(options.db_path + ".lock"), std::string::npos) << message;

  first.reset();  // the holder stops: the file is free again
  CoordinatorServer third(options);
  EXPECT_OK(third.Start());
}

TEST(CoordinatorFaultServerTest, ForeignAndCorruptDatabasesAreRefused) {
  TempDir dir;
  std::vector<std::string> log;
  CoordinatorOptions options = ServerOptions(dir, nullptr, &log);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options.db_path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  CoordinatorServer foreign(options);
  auto refused = foreign.Start();
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().ToString();

  // A real results database, garbled in its last quarter.
  options.db_path = dir.File("garbled.db");
  {
    StoreOptions so;
    so.background_checkpoints = false;
    auto store = Store::Open(options.db_path, so);
    ASSERT_OK(store);
    NewSweep sweep;
    sweep.name = "s";
    sweep.spec_yaml = "name: s\n";
    for (int i = 0; i < 300; ++i) sweep.trials.push_back({"h" + std::to_string(i), "{\"x\":1}"});
    ASSERT_OK((*store)->CreateSweep(sweep));
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options.db_path.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;", nullptr,
                 nullptr, nullptr);
    sqlite3_close(db);
  }
  std::string bytes;
  {
    std::ifstream in(options.db_path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (size_t i = bytes.size() * 3 / 4; i < bytes.size() - 100; i += 7) {
    bytes[i] = static_cast<char>(i * 31);
  }
  {
    std::ofstream out(options.db_path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  CoordinatorServer corrupt(options);
  refused = corrupt.Start();
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss) << refused.status().ToString();
}

}  // namespace
}  // namespace ltsweep::coordinator
