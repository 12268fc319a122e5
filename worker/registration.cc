#include "worker/registration.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

namespace ltsweep::worker {

v1::RegisterRequest Registrar::MakeRequest() const {
  v1::RegisterRequest request;
  const std::string id = session_.id();
  request.set_worker_id(id.empty() ? options_.worker_id : id);
  if (options_.host.empty()) {
    char hostname[256] = {0};
    gethostname(hostname, sizeof(hostname) - 1);
    request.set_host(hostname);
  } else {
    request.set_host(options_.host);
  }
  request.set_slots(static_cast<int>(options_.slot_layout.size()));
  for (int g : options_.gpus) request.add_gpus(g);
  for (const SlotDevices& slot : options_.slot_layout) {
    v1::SlotDevices* out = request.add_slot_devices();
    for (int g : slot.gpus) out->add_gpus(g);
    out->set_threads(slot.threads);
  }
  request.set_pid(getpid());
  return request;
}

void Registrar::Accept(const v1::RegisterRequest& request, const v1::RegisterResponse& response) {
  session_.set_id(response.worker_id());
  session_.SetReachable();
  const std::chrono::milliseconds heartbeat =
      options_.heartbeat_interval.count() > 0
          ? options_.heartbeat_interval
          : std::chrono::milliseconds(std::max<int64_t>(100, response.heartbeat_interval_ms()));
  session_.set_heartbeat_interval(heartbeat);
  session_.set_lease_ttl(std::chrono::milliseconds(std::max<int64_t>(0, response.lease_ttl_ms())));
  session_.Log(fmt::format("registered: host {}, {} slot(s): {}, trainer {}, heartbeat {} ms", request.host(),
                           options_.slot_layout.size(), DescribeSlots(options_.slot_layout),
                           options_.trainer_path, heartbeat.count()));
}

void Registrar::StopOnRefusedToken(const Status& error) {
  session_.Log("registration refused: " + DescribeRpcError(error) + "; stopping (check --token-file / $LTSWEEP_TOKEN)");
  {
    std::lock_guard<std::mutex> lock(mu_);
    auth_error_ = Status(error.code(), "the coordinator refused this worker's token: " + error.message());
  }
  session_.Stop();
}

Status Registrar::auth_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return auth_error_;
}

bool Registrar::RegisterUntilAccepted() {
  Backoff backoff = session_.MakeBackoff();
  const int64_t started_ms = options_.clock->NowMillis();
  const bool first = session_.id().empty();
  while (!session_.stopping()) {
    if (first && options_.exit_when_idle.count() > 0 &&
        options_.clock->NowMillis() - started_ms >= options_.exit_when_idle.count()) {
      // Never registered: the idle limit counts from the start (WorkerOptions::exit_when_idle).
      session_.Log(fmt::format("could not register for {:.1f} s (--exit-when-idle): exiting",
                               options_.exit_when_idle.count() / 1000.0));
      session_.Stop();
      break;
    }
    const v1::RegisterRequest request = MakeRequest();
    auto response = client_.Register(request);
    if (response.ok()) {
      Accept(request, *response);
      return true;
    }
    const StatusCode code = response.status().code();
    if (code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied) {
      StopOnRefusedToken(response.status());
      return false;
    }
    if (!IsTransient(response.status())) {
      session_.Log("registration refused: " + DescribeRpcError(response.status()) + "; retrying");
    }
    session_.NoteReachable(false, response.status());
    if (!session_.WaitFor(std::chrono::milliseconds(backoff.NextDelayMs()))) break;
  }
  return false;
}

}  // namespace ltsweep::worker
