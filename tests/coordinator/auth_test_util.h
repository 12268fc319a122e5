// Helpers of the auth tests: every RPC of the protos, a generic call, and test certificates
// made at run time with the openssl command (Debian's openssl package), so no
// key is ever committed: two CAs, a server certificate for localhost /
// 127.0.0.1 signed by the first, and one client certificate signed by each.
//
// Thread-safety: MakeTestPki runs processes; call it from one thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "common/status.h"

namespace ltsweep::testing {

struct TestPki {
  std::string ca_cert;            // the CA that signed the server and client
  std::string server_cert, server_key;
  std::string client_cert, client_key;              // signed by ca_cert
  std::string other_ca_cert;                        // an unrelated CA
  std::string other_client_cert, other_client_key;  // signed by other_ca_cert
};

// Writes the files into `dir` (EC P-256 keys, valid two days). UNAVAILABLE
// when the openssl command is missing or fails (its output is in the
// message).
StatusOr<TestPki> MakeTestPki(const std::filesystem::path& dir);

// Every RPC of proto/client_service.proto and proto/worker_service.proto, as
// "/ltsweep.v1.Service/Method", read from the compiled descriptors.
std::vector<std::string> AllRpcs();

// One unary call of `method` ("/pkg.Service/Method") with an empty request
// over `channel`, through gRPC's generic stub; `authorization`, when not
// null, is sent as that header by hand. Waits up to 10 s.
grpc::Status CallMethod(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        const char* authorization = nullptr);

}  // namespace ltsweep::testing
