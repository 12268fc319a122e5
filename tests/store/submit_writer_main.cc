// A process that submits a large sweep in chunks, for the mid-submit SIGKILL
// test (large_sweep_test.cc).
//
//   ltsweep_submit_writer DB TRIALS CHUNK HOLD_AT
//
// Opens DB with submit_chunk_trials = CHUNK and creates a sweep of TRIALS
// made-up trials. Write transaction number HOLD_AT (0: the sweep row, 1: the
// first chunk, ...) prints "holding N" just before its COMMIT and waits
// there to be killed; the earlier ones are committed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/store.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DB TRIALS CHUNK HOLD_AT\n", argv[0]);
    return 2;
  }
  const int trials = std::atoi(argv[2]);
  const int hold_at = std::atoi(argv[4]);
  int commits = 0;
  ltsweep::StoreOptions options;
  options.submit_chunk_trials = std::atoi(argv[3]);
  bool submitting = false;
  options.before_commit = [&]() {
    if (submitting && commits++ == hold_at) {
      std::printf("holding %d\n", hold_at);
      std::fflush(stdout);
      for (;;) pause();  // killed here, mid-submit
    }
    return ltsweep::Status::Ok();
  };
  auto store = ltsweep::Store::Open(argv[1], options);
  if (!store.ok()) {
    std::fprintf(stderr, "submit_writer: %s\n", store.status().ToString().c_str());
    return 1;
  }
  ltsweep::NewSweep sweep;
  sweep.name = "killed-submit";
  sweep.spec_yaml = "name: killed-submit\n";
  for (int i = 0; i < trials; ++i) {
    sweep.trials.push_back({"killed-" + std::to_string(i),
                            "{\"train\":{\"epochs\":3,\"seed\":" + std::to_string(i) + "}}"});
  }
  submitting = true;
  auto created = (*store)->CreateSweep(sweep);
  std::printf("%s\n", created.ok() ? "created" : created.status().ToString().c_str());
  return created.ok() ? 0 : 1;
}
