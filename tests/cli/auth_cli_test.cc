// Tokens and TLS through the real `ltsweep` binary (docs/security.md):
// `ltsweep token create`, the coordinator's refusal of a plain-text
// non-loopback address, a coordinator with --auth-tokens serving client
// commands and a worker by role, TLS and mutual TLS from the CLI's point of
// view, and a coordinator log without any token in it.
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "tests/cli/cli_process.h"
#include "tests/coordinator/auth_test_util.h"
#include "tests/coordinator/cluster.h"
#include "tests/testing/test_util.h"

namespace ltsweep::testing {
namespace {

constexpr char kSpec[] = "name: small\nconfig:\n  train: {epochs: 2}\nseeds: [0]\nparameters:\n  train.lr: {values: [0.1, 0.05]}\n";

CliResult Cli(const std::string& args, const std::map<std::string, std::string>& env = {}) {
  return RunCli(LTSWEEP_CLI_PATH, args, env);
}

// `ltsweep token create` into `tokens`; returns the token.
std::string CreateToken(const std::string& tokens, const std::string& role, const std::string& name) {
  CliResult r = Cli("token create --role " + role + " --tokens " + ShellQuote(tokens) + " --name " + name);
  EXPECT_EQ(r.code, 0) << r.err;
  std::string token = r.out;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return token;
}

// A real `ltsweep coordinator` process with extra flags; waits for its port.
class CoordinatorProcess {
 public:
  CoordinatorProcess(const TempDir& dir, const std::vector<std::string>& extra,
                     const std::string& listen = "127.0.0.1:0", const std::string& name = "coord") {
    const std::string port_file = dir.File(name + ".port");
    std::vector<std::string> argv = {LTSWEEP_CLI_PATH, "coordinator", "--db", dir.File(name + ".db"), "--listen",
                                     listen, "--port-file", port_file, "--heartbeat", "300ms",
                                     "--idle-retry", "100ms", "--scan-interval", "100ms"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{}, dir.File(name + ".log"));
    const bool up = WaitUntil([&] { return std::filesystem::exists(port_file) || !process_->running(); },
                              std::chrono::seconds(15));
    EXPECT_TRUE(up && std::filesystem::exists(port_file)) << process_->log();
    if (std::filesystem::exists(port_file)) port_ = std::stoi(ReadFile(port_file));
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string at() const { return " --coordinator " + address(); }
  Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

TEST(TokenCliTest, CreatePrintsTheTokenOnceAndStoresItsHash) {
  TempDir dir;
  const std::string tokens = dir.File("tokens");
  CliResult r = Cli("token create --role submit --tokens " + ShellQuote(tokens) + " --name alice");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.out.size(), 65u) << r.out;
  const std::string token = r.out.substr(0, 64);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(r.err.find("added token \"alice\" (role submit)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(token), std::string::npos);
  EXPECT_EQ(ReadFile(tokens), Sha256Hex(token) + " submit alice\n");
  struct stat st;
  ASSERT_EQ(stat(tokens.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  r = Cli("token create --role worker --tokens " + ShellQuote(tokens) + " --out " + ShellQuote(dir.File("w.token")));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  ASSERT_EQ(stat(dir.File("w.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(dir.File("w.token")).size(), 65u);
}

TEST(TokenCliTest, ClearErrors) {
  TempDir dir;
  const std::string tokens = dir.File("tokens");
  CliResult r = Cli("token create --role root --tokens " + ShellQuote(tokens));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--role: unknown role \"root\" (roles: admin, submit, read, worker)"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(tokens));

  WriteFile(tokens, "# ours\n" + Sha256Hex("x") + " read\n");
  chmod(tokens.c_str(), 0600);
  r = Cli("token create --role read --tokens " + ShellQuote(tokens));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(tokens + ":2: expected \"<sha256-hex> <role> <name>\""), std::string::npos) << r.err;

  WriteFile(tokens, Sha256Hex("x") + " read x\n");
  chmod(tokens.c_str(), 0644);
  r = Cli("token create --role read --tokens " + ShellQuote(tokens));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("chmod 600 " + tokens), std::string::npos) << r.err;
}

TEST(CoordinatorSecurityCliTest, PlainTextOffLoopbackIsRefusedAtStart) {
  TempDir dir;
  CliResult r = Cli("coordinator --db " + ShellQuote(dir.File("a.db")) + " --listen 0.0.0.0:0");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--listen 0.0.0.0:0 is not a loopback address: serve TLS (--tls-cert FILE --tls-key FILE)"),
            std::string::npos)
      << r.err;
  r = Cli("coordinator --db " + ShellQuote(dir.File("a.db")) + " --help");
  EXPECT_NE(r.out.find("127.0.0.1:50051"), std::string::npos) << "the default listen address is loopback";
}

class TokensCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ = dir_.File("tokens");
    for (const char* role : {"admin", "submit", "read", "worker"}) token_[role] = CreateToken(tokens_, role, role);
    coordinator_ = std::make_unique<CoordinatorProcess>(dir_, std::vector<std::string>{"--auth-tokens", tokens_});
  }
  CliResult As(const std::string& role, const std::string& args) {
    return Cli(args + coordinator_->at(), {{"LTSWEEP_TOKEN", token_[role]}});
  }

  TempDir dir_;
  std::string tokens_;
  std::map<std::string, std::string> token_;
  std::unique_ptr<CoordinatorProcess> coordinator_;
};

TEST_F(TokensCliTest, RolesDecideWhatEachCommandMayDo) {
  const std::string spec = dir_.File("small.yaml");
  WriteFile(spec, kSpec);

  CliResult r = Cli("status" + coordinator_->at());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("authentication required"), std::string::npos) << r.err;
  r = As("nobody", "status");  // empty $LTSWEEP_TOKEN: no token
  EXPECT_EQ(r.code, 1);
  r = Cli("status" + coordinator_->at(), {{"LTSWEEP_TOKEN", "0123"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("invalid token"), std::string::npos) << r.err;

  r = As("read", "submit " + ShellQuote(spec));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("(role read) may not call /ltsweep.v1.ClientService/SubmitSweep"), std::string::npos) << r.err;
  r = As("worker", "submit " + ShellQuote(spec));
  EXPECT_EQ(r.code, 1) << "a worker token cannot submit";
  r = As("submit", "submit " + ShellQuote(spec));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "sweep 1: 2 trials (2 queued, 0 reused)\n");

  r = As("read", "status");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sweep 1 (small)"), std::string::npos) << r.out;
  r = As("read", "cancel 1");
  EXPECT_EQ(r.code, 1) << "a read token cannot cancel";
  EXPECT_NE(r.err.find("CancelSweep"), std::string::npos) << r.err;
  r = As("worker", "status");
  EXPECT_EQ(r.code, 1) << "a worker token cannot read";
}

TEST_F(TokensCliTest, AWorkerWithAWorkerTokenRunsTheSweepAndNoTokenIsLogged) {
  const std::string spec = dir_.File("small.yaml");
  WriteFile(spec, kSpec);
  ASSERT_EQ(As("submit", "submit " + ShellQuote(spec)).code, 0);

  const std::string token_file = dir_.File("worker.token");
  WriteFile(token_file, token_["worker"] + "\n");
  chmod(token_file.c_str(), 0600);
  Process worker({LTSWEEP_CLI_PATH, "worker", "--coordinator", coordinator_->address(), "--slots", "2", "--trainer",
                  LTSWEEP_FAKE_TRAIN_PATH, "--work-dir", dir_.File("work"), "--token-file", token_file, "--heartbeat",
                  "300ms", "--flush-interval", "0", "--threads", "1", "--worker-id", "w1"},
                 {{"LTSWEEP_FAKE_EPOCH_MS", "20"}}, dir_.File("worker.log"));
  CliResult r = As("read", "watch 1");
  EXPECT_EQ(r.code, 0) << r.err << worker.log();
  EXPECT_NE(r.err.find("2/2 done"), std::string::npos) << r.err;

  // A read token is no worker: the daemon stops with the coordinator's answer.
  CliResult bad = RunCli(LTSWEEP_CLI_PATH,
                         "worker --slots 1 --trainer " + ShellQuote(LTSWEEP_FAKE_TRAIN_PATH) + " --work-dir " +
                             ShellQuote(dir_.File("work2")) + coordinator_->at(),
                         {{"LTSWEEP_TOKEN", token_["read"]}});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("the coordinator refused this worker's token: token \"read\" (role read) may not call "
                         "/ltsweep.v1.WorkerService/Register"),
            std::string::npos)
      << bad.err;

  worker.Signal(SIGTERM);
  worker.Wait(std::chrono::seconds(10));
  coordinator_->process().Signal(SIGTERM);
  coordinator_->process().Wait(std::chrono::seconds(10));
  const std::string log = coordinator_->process().log();
  EXPECT_NE(log.find("auth: 4 tokens"), std::string::npos) << log;
  EXPECT_NE(log.find("auth: refused"), std::string::npos) << log;
  for (const auto& [role, token] : token_) EXPECT_EQ(log.find(token), std::string::npos) << role << " token in the log";

  // `ltsweep sql` cannot read the lease tokens of the attempts.
  CliResult sql = Cli("sql \"SELECT count(*) AS n FROM attempts WHERE lease_token IS NOT NULL\" --format csv --db " +
                      ShellQuote(dir_.File("coord.db")));
  EXPECT_EQ(sql.code, 0) << sql.err;
  EXPECT_EQ(sql.out, "n\r\n0\r\n");
  sql = Cli("sql \"SELECT count(*) AS n FROM attempts\" --format csv --db " + ShellQuote(dir_.File("coord.db")));
  EXPECT_EQ(sql.out, "n\r\n2\r\n");
}

class TlsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = MakeTestPki(dir_.path());
    if (!pki.ok()) GTEST_SKIP() << pki.status().message();
    pki_ = *pki;
  }
  TempDir dir_;
  TestPki pki_;
};

TEST_F(TlsCliTest, PlainTextClientIsToldToPassTlsCa) {
  CoordinatorProcess coordinator(dir_, {"--tls-cert", pki_.server_cert, "--tls-key", pki_.server_key});
  CliResult r = Cli("status" + coordinator.at());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("TLS handshake failed: is the coordinator using TLS? pass --tls-ca"), std::string::npos)
      << r.err;
  r = Cli("status --tls-ca " + ShellQuote(pki_.ca_cert) + coordinator.at());
  EXPECT_EQ(r.code, 0) << r.err;
  r = Cli("status" + coordinator.at(), {{"LTSWEEP_TLS_CA", pki_.ca_cert}});
  EXPECT_EQ(r.code, 0) << r.err;
  r = Cli("status --tls-ca " + ShellQuote(pki_.other_ca_cert) + coordinator.at());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("TLS handshake failed"), std::string::npos) << r.err;
}

TEST_F(TlsCliTest, MutualTlsRefusesAClientCertificateFromAnotherCa) {
  CoordinatorProcess coordinator(
      dir_, {"--tls-cert", pki_.server_cert, "--tls-key", pki_.server_key, "--tls-client-ca", pki_.ca_cert},
      "0.0.0.0:0");
  const std::string tls = " --tls-ca " + ShellQuote(pki_.ca_cert);
  CliResult r = Cli("status" + tls + " --tls-cert " + ShellQuote(pki_.other_client_cert) + " --tls-key " +
                    ShellQuote(pki_.other_client_key) + coordinator.at());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("TLS handshake failed"), std::string::npos) << r.err;
  r = Cli("status" + tls + coordinator.at());
  EXPECT_EQ(r.code, 1) << "no client certificate";
  r = Cli("status" + tls + " --tls-cert " + ShellQuote(pki_.client_cert) + " --tls-key " +
          ShellQuote(pki_.client_key) + coordinator.at());
  EXPECT_EQ(r.code, 0) << r.err;
}

}  // namespace
}  // namespace ltsweep::testing
