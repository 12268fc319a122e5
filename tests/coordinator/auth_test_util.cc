#include "tests/coordinator/auth_test_util.h"

#include <chrono>
#include <cstdlib>
#include <future>
#include <fstream>
#include <sstream>

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>

#include "proto/client_service.pb.h"
#include "proto/worker_service.pb.h"

namespace ltsweep::testing {

namespace {

// Runs `command` in `dir` through the shell; its output goes to dir/openssl.log.
Status Run(const std::filesystem::path& dir, const std::string& command) {
  const std::string log = (dir / "openssl.log").string();
  const std::string line = "cd '" + dir.string() + "' && " + command + " >>'" + log + "' 2>&1";
  if (std::system(line.c_str()) == 0) return Status::Ok();
  std::ifstream in(log);
  std::ostringstream text;
  text << in.rdbuf();
  return UnavailableError("`" + command + "` failed (is the openssl package installed?): " + text.str());
}

// A key and a certificate signed by `ca` ("" for a self-signed CA).
Status MakeCert(const std::filesystem::path& dir, const std::string& name, const std::string& cn,
                const std::string& ca, const std::string& extensions) {
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name + ".key";
  if (ca.empty()) {
    return Run(dir, "openssl req -x509 " + key + " -out " + name + ".crt -days 2 -subj /CN=" + cn);
  }
  if (!extensions.empty()) {
    std::ofstream(dir / (name + ".ext")) << extensions << "\n";
  }
  Status s = Run(dir, "openssl req " + key + " -out " + name + ".csr -subj /CN=" + cn);
  if (!s.ok()) return s;
  return Run(dir, "openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca + ".key -CAcreateserial -out " +
                      name + ".crt -days 2" + (extensions.empty() ? "" : " -extfile " + name + ".ext"));
}

}  // namespace

StatusOr<TestPki> MakeTestPki(const std::filesystem::path& dir) {
  LTSWEEP_RETURN_IF_ERROR(MakeCert(dir, "ca", "ltsweep-test-ca", "", ""));
  LTSWEEP_RETURN_IF_ERROR(MakeCert(dir, "server", "localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1"));
  LTSWEEP_RETURN_IF_ERROR(MakeCert(dir, "client", "ltsweep-test-client", "ca", "extendedKeyUsage=clientAuth"));
  LTSWEEP_RETURN_IF_ERROR(MakeCert(dir, "other-ca", "ltsweep-other-ca", "", ""));
  LTSWEEP_RETURN_IF_ERROR(
      MakeCert(dir, "other-client", "ltsweep-test-client", "other-ca", "extendedKeyUsage=clientAuth"));
  auto at = [&dir](const std::string& file) { return (dir / file).string(); };
  return TestPki{at("ca.crt"),       at("server.crt"),       at("server.key"),      at("client.crt"),
                 at("client.key"),   at("other-ca.crt"),     at("other-client.crt"), at("other-client.key")};
}

std::vector<std::string> AllRpcs() {
  std::vector<std::string> out;
  for (const google::protobuf::FileDescriptor* file :
       {v1::SubmitSweepRequest::descriptor()->file(), v1::RegisterRequest::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        out.push_back("/" + service->full_name() + "/" + service->method(m)->name());
      }
    }
  }
  return out;
}

grpc::Status CallMethod(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        const char* authorization) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (authorization != nullptr) ctx.AddMetadata("authorization", authorization);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

}  // namespace ltsweep::testing
