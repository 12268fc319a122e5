// Tokens, roles and transport security: the tokens file and `token create`
// (coordinator/auth_tokens.h), the method -> role table
// (coordinator/auth_policy.h), the processor that checks every call
// (coordinator/auth_processor.h), and the server and channel credentials
// (proto/credentials.h) over real gRPC on loopback, with TLS and mutual TLS
// certificates made by the openssl command at run time.
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/config_hash.h"
#include "coordinator/auth_policy.h"
#include "coordinator/auth_processor.h"
#include "coordinator/auth_tokens.h"
#include "tests/coordinator/auth_test_util.h"
#include "tests/testing/test_util.h"

namespace ltsweep::coordinator {
namespace {

using ::ltsweep::testing::AllRpcs;
using ::ltsweep::testing::TempDir;

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kSubmit[] = "/ltsweep.v1.ClientService/SubmitSweep";
constexpr char kCancel[] = "/ltsweep.v1.ClientService/CancelSweep";
constexpr char kListSweeps[] = "/ltsweep.v1.ClientService/ListSweeps";
constexpr char kLease[] = "/ltsweep.v1.WorkerService/Lease";
constexpr char kStopWorker[] = "/ltsweep.v1.WorkerService/StopWorker";

void WriteMode(const std::string& path, const std::string& text, mode_t mode) {
  ::ltsweep::testing::WriteFile(path, text);
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

// --- Roles and the tokens file ---------------------------------------------------

TEST(RolesTest, ParsesEachRoleAndRefusesOthersNamingTheRoles) {
  for (Role r : {Role::kAdmin, Role::kSubmit, Role::kRead, Role::kWorker}) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, r);
  }
  auto bad = ParseRole("root");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("admin, submit, read, worker"), std::string::npos);
  EXPECT_FALSE(ParseRole("Admin").ok());
}

TEST(TokenFileTest, ParsesLinesSkippingCommentsAndBlankLines) {
  const std::string a = Sha256Hex("token-a"), b = Sha256Hex("token-b");
  auto table = ParseTokenTable("# tokens\n\n" + a + " admin alice\n  \t\n" + b + "\tworker  gpu-node-1@lab\r\n",
                               "tokens.txt");
  ASSERT_OK(table);
  ASSERT_EQ(table->entries().size(), 2u);
  auto found = table->Find("token-b");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->role, Role::kWorker);
  EXPECT_EQ(found->name, "gpu-node-1@lab");
  EXPECT_EQ(table->Find("token-a")->name, "alice");
  EXPECT_FALSE(table->Find("token-c").has_value());
  EXPECT_FALSE(table->Find("").has_value());
  EXPECT_FALSE(table->Find(a).has_value()) << "the hash itself is not a token";
}

TEST(TokenFileTest, ErrorsNameTheFileAndLine) {
  const std::string h = Sha256Hex("t");
  struct Case {
    std::string text, expected;
  } cases[] = {
      {"# c\n" + h + " admin\n", "tokens.txt:2: expected \"<sha256-hex> <role> <name>\", found 2 fields"},
      {h + " admin a extra\n", "tokens.txt:1: expected"},
      {"\n\nabc admin a\n", "tokens.txt:3: the first field is not a SHA-256"},
      {h.substr(0, 63) + "G admin a\n", "tokens.txt:1: the first field is not a SHA-256"},
      {h + " root a\n", "tokens.txt:1: unknown role \"root\" (roles: admin, submit, read, worker)"},
      {h + " read a/b\n", "tokens.txt:1: name \"a/b\" is not"},
      {h + " read a\n" + h + " admin b\n", "tokens.txt:2: the same token hash appears twice"},
  };
  for (const Case& c : cases) {
    auto table = ParseTokenTable(c.text, "tokens.txt");
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(table.status().message().rfind(c.expected, 0), 0u) << table.status().message();
  }
}

TEST(TokenFileTest, LoadRefusesMissingAndTooOpenFiles) {
  TempDir dir;
  const std::string path = dir.File("tokens.txt");
  auto missing = LoadTokenFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);

  const std::string line = Sha256Hex("t") + " read r\n";
  for (mode_t open_mode : {0644, 0604, 0602, 0620, 0666}) {
    WriteMode(path, line, open_mode);
    auto loaded = LoadTokenFile(path);
    ASSERT_FALSE(loaded.ok()) << std::oct << open_mode;
    EXPECT_EQ(loaded.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(loaded.status().message().find("chmod 600 " + path), std::string::npos) << loaded.status().message();
  }
  for (mode_t private_mode : {0600, 0400, 0640}) {
    WriteMode(path, line, private_mode);
    EXPECT_OK(LoadTokenFile(path));
  }
  if (geteuid() != 0) {  // root reads anything
    WriteMode(path, line, 0200);
    auto unreadable = LoadTokenFile(path);
    ASSERT_FALSE(unreadable.ok());
    EXPECT_EQ(unreadable.status().code(), StatusCode::kPermissionDenied);
  }
}

TEST(TokenCreateTest, CreatesAPrivateFileHoldingOnlyTheHash) {
  TempDir dir;
  const std::string path = dir.File("tokens.txt");
  auto created = CreateToken(path, Role::kSubmit, "alice");
  ASSERT_OK(created);
  EXPECT_EQ(created->token.size(), 64u);
  EXPECT_EQ(created->token.find_first_not_of("0123456789abcdef"), std::string::npos);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = ::ltsweep::testing::ReadFile(path);
  EXPECT_EQ(text, Sha256Hex(created->token) + " submit alice\n");
  EXPECT_EQ(text.find(created->token), std::string::npos);

  auto table = LoadTokenFile(path);
  ASSERT_OK(table);
  auto found = table->Find(created->token);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->role, Role::kSubmit);
  EXPECT_EQ(found->name, "alice");
}

TEST(TokenCreateTest, AppendsDefaultsTheNameAndRefusesADuplicateName) {
  TempDir dir;
  const std::string path = dir.File("tokens.txt");
  auto first = CreateToken(path, Role::kWorker, "");
  ASSERT_OK(first);
  EXPECT_EQ(first->entry.name, "worker-" + Sha256Hex(first->token).substr(0, 8));
  auto second = CreateToken(path, Role::kRead, "bob");
  ASSERT_OK(second);
  EXPECT_NE(first->token, second->token);
  auto dup = CreateToken(path, Role::kAdmin, "bob");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  auto bad_name = CreateToken(path, Role::kAdmin, "bob smith");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.status().code(), StatusCode::kInvalidArgument);
  auto table = LoadTokenFile(path);
  ASSERT_OK(table);
  EXPECT_EQ(table->entries().size(), 2u);
  EXPECT_EQ(table->Find(first->token)->role, Role::kWorker);
  EXPECT_EQ(table->Find(second->token)->role, Role::kRead);
}

TEST(TokenCreateTest, RefusesToAppendToAMalformedOrTooOpenFile) {
  TempDir dir;
  const std::string path = dir.File("tokens.txt");
  WriteMode(path, "# mine\n" + Sha256Hex("x") + " superuser x\n", 0600);
  auto malformed = CreateToken(path, Role::kRead, "r");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.status().message().rfind(path + ":2: unknown role \"superuser\"", 0), 0u)
      << malformed.status().message();

  WriteMode(path, Sha256Hex("x") + " read x", 0644);
  auto open_file = CreateToken(path, Role::kRead, "r");
  ASSERT_FALSE(open_file.ok());
  EXPECT_EQ(open_file.status().code(), StatusCode::kPermissionDenied);

  // A hand-edited file without a final newline still gets a line of its own.
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  auto appended = CreateToken(path, Role::kAdmin, "root");
  ASSERT_OK(appended);
  auto table = LoadTokenFile(path);
  ASSERT_OK(table);
  EXPECT_EQ(table->entries().size(), 2u);
}

// --- The method -> role table ------------------------------------------------------

TEST(AuthPolicyTest, EveryRpcOfTheProtosHasARow) {
  const std::vector<std::string> rpcs = AllRpcs();
  EXPECT_GE(rpcs.size(), 14u);
  for (const std::string& rpc : rpcs) EXPECT_TRUE(HasPolicyFor(rpc)) << rpc << " has no row in auth_policy.cc";
}

TEST(AuthPolicyTest, RolesGetWhatTheTableSays) {
  EXPECT_EQ(RequiredAccess(kHealthCheck), Access::kOpen);
  EXPECT_EQ(RequiredAccess("/grpc.health.v1.Health/Watch"), Access::kOpen);
  EXPECT_EQ(RequiredAccess("/ltsweep.v1.ClientService/NotARealMethod"), Access::kAdmin);
  EXPECT_EQ(RequiredAccess(""), Access::kAdmin);

  EXPECT_FALSE(RoleAllows(Role::kWorker, RequiredAccess(kSubmit))) << "a worker token cannot submit";
  EXPECT_FALSE(RoleAllows(Role::kWorker, RequiredAccess(kListSweeps)));
  EXPECT_FALSE(RoleAllows(Role::kRead, RequiredAccess(kCancel))) << "a read token cannot cancel";
  EXPECT_FALSE(RoleAllows(Role::kRead, RequiredAccess(kSubmit)));
  EXPECT_TRUE(RoleAllows(Role::kRead, RequiredAccess(kListSweeps)));
  EXPECT_TRUE(RoleAllows(Role::kSubmit, RequiredAccess(kCancel)));
  EXPECT_FALSE(RoleAllows(Role::kSubmit, RequiredAccess(kLease)));
  EXPECT_FALSE(RoleAllows(Role::kRead, RequiredAccess(kStopWorker)));
  EXPECT_TRUE(RoleAllows(Role::kWorker, RequiredAccess(kStopWorker)));
  for (const std::string& rpc : AllRpcs()) EXPECT_TRUE(RoleAllows(Role::kAdmin, RequiredAccess(rpc))) << rpc;
  for (Role r : {Role::kAdmin, Role::kSubmit, Role::kRead, Role::kWorker}) {
    EXPECT_TRUE(RoleAllows(r, Access::kOpen));
    EXPECT_EQ(RoleAllows(r, Access::kAdmin), r == Role::kAdmin);
  }
}

// --- The processor's decision, without a transport ---------------------------------

TEST(TokenAuthProcessorTest, SameAnswerForAMalformedHeaderAndAnUnknownToken) {
  std::vector<std::string> log;
  TokenAuthProcessor processor(TokenTable({{Sha256Hex("good"), Role::kRead, "reader"}}),
                               [&log](const std::string& line) { log.push_back(line); });
  const std::string unknown = "Bearer not-a-token", malformed = "Basic good", bare = "good",
                    empty_bearer = "Bearer ";
  grpc::Status a = processor.Check(kListSweeps, &unknown);
  for (const std::string* header : {&malformed, &bare, &empty_bearer}) {
    grpc::Status b = processor.Check(kListSweeps, header);
    EXPECT_EQ(b.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(b.error_message(), a.error_message());
  }
  EXPECT_EQ(a.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(a.error_message(), "invalid token");

  grpc::Status none = processor.Check(kListSweeps, nullptr);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(none.error_message().find("--token-file"), std::string::npos);

  const std::string good = "Bearer good";
  EXPECT_TRUE(processor.Check(kListSweeps, &good).ok());
  grpc::Status denied = processor.Check(kCancel, &good);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(denied.error_message().find("\"reader\" (role read) may not call " + std::string(kCancel)),
            std::string::npos)
      << denied.error_message();
  EXPECT_TRUE(processor.Check(kHealthCheck, nullptr).ok());
  ASSERT_EQ(log.size(), 6u);
  for (const std::string& line : log) EXPECT_EQ(line.find("good"), std::string::npos) << line;
}

TEST(TokenAuthProcessorTest, ConsumesTheAuthorizationHeaderOfAnAcceptedCall) {
  TokenAuthProcessor processor(TokenTable({{Sha256Hex("good"), Role::kAdmin, "root"}}), nullptr);
  const std::string path = kSubmit, header = "Bearer good";
  grpc::AuthMetadataProcessor::InputMetadata in{{":path", path}, {"authorization", header}};
  grpc::AuthMetadataProcessor::OutputMetadata consumed, response;
  ASSERT_TRUE(processor.Process(in, nullptr, &consumed, &response).ok());
  ASSERT_EQ(consumed.size(), 1u);
  EXPECT_EQ(consumed.begin()->first, "authorization");
}

}  // namespace
}  // namespace ltsweep::coordinator
