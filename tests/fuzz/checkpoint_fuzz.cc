// libFuzzer target for the checkpoint header reader: any bytes through
// UnframeCheckpoint (trainer/core/checkpoint_file.h), the check a resuming
// trainer makes before torch ever sees a checkpoint's payload. It must never
// crash, read out of bounds or hang, and it must answer either a payload that
// really matches its header (length and CRC-32) or kDataLoss with a message
// naming the file. Torch-free, so it runs at millions of inputs a minute.
//
// Declared in tests/fuzz/targets.cmake (make fuzz; ctest label fuzz).
// The seed corpus (tests/fuzz/make_checkpoint_corpus.py) holds a valid
// checkpoint and one of each defect the reader names.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "trainer/core/checkpoint_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ltsweep::trainer;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto payload = UnframeCheckpoint(bytes, "fuzz.pt");
  if (!payload.ok()) {
    if (payload.status().code() != ltsweep::StatusCode::kDataLoss) abort();
    if (payload.status().message().rfind("fuzz.pt: ", 0) != 0) abort();
    return 0;
  }
  // Accepted: the payload is the rest of the input, and framing it again
  // gives the input back byte for byte.
  if (size < kCheckpointHeaderSize || payload->size() != size - kCheckpointHeaderSize) abort();
  if (payload->data() != bytes.data() + kCheckpointHeaderSize) abort();
  if (FrameCheckpoint(*payload) != bytes) abort();
  return 0;
}
