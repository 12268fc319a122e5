// The device the trainer's torch tests run on: $LTSWEEP_TEST_DEVICE ("cpu",
// "cuda", "cuda:N"), default "cpu". bench/gpu_check.sh sets it to cuda on a
// GPU machine; CI leaves it unset.
#pragma once

#include <cstdlib>
#include <string>

namespace ltsweep::testing {

inline std::string TestDevice() {
  const char* device = std::getenv("LTSWEEP_TEST_DEVICE");
  return device == nullptr || *device == '\0' ? "cpu" : device;
}

}  // namespace ltsweep::testing
