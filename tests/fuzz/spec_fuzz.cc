// libFuzzer target for the sweep-spec parser: any bytes through
// ValidateSweepText (parse, then expand), the path a coordinator takes for
// a submitted spec. It must never crash, hang or exhaust memory, and it
// must answer OK, INVALID_ARGUMENT or RESOURCE_EXHAUSTED with a message.
//
// Built by tests/fuzz/CMakeLists.txt with clang (`make fuzz`, or a few
// seconds of it under ctest, label "fuzz"). By hand:
//   make fuzz FUZZ_SECONDS=60
//   build-fuzz/spec_fuzz -max_total_time=60 -rss_limit_mb=2048 tests/fuzz/corpus/spec
// The seed corpus (tests/fuzz/make_spec_corpus.py) holds the hostile inputs
// of issue 12 and two valid specs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "spec/expand.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ltsweep::spec::ExpandOptions options;
  options.check_data_paths = false;  // no file system access
  options.max_trials = 1000;         // expansion cost is not what is fuzzed
  auto result = ltsweep::spec::ValidateSweepText(text, "fuzz.yaml", options);
  if (!result.ok()) {
    const ltsweep::StatusCode code = result.status().code();
    if (code != ltsweep::StatusCode::kInvalidArgument && code != ltsweep::StatusCode::kResourceExhausted) abort();
    if (result.status().message().empty()) abort();
  }
  return 0;
}
