// libFuzzer target for the worker's copy of a trainer's stderr
// (worker/attempt_log.h): any bytes, cut into reads at points the input
// picks, through AttemptLog with a small window. Whatever a trainer prints,
// every chunk must be valid UTF-8 (what protobuf and the store accept), at
// most chunk_bytes, and the chunks must follow each other with no overlap.
// The first byte picks the read size (1 .. 256), the second how often
// chunks are taken. Built by tests/fuzz/CMakeLists.txt (make fuzz).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/trial_logs.h"
#include "worker/attempt_log.h"

namespace {

void Check(const std::vector<ltsweep::worker::TextChunk>& chunks, int64_t& next, int64_t chunk_bytes) {
  for (const auto& c : chunks) {
    if (c.offset < next || c.text.empty()) std::abort();
    if (static_cast<int64_t>(c.text.size()) > chunk_bytes) std::abort();
    if (!ltsweep::utf8::IsValid(c.text)) std::abort();
    next = c.offset + static_cast<int64_t>(c.text.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t read = static_cast<size_t>(data[0]) + 1;
  const int take_every = data[1] % 8 + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  constexpr int64_t kChunk = 16;
  ltsweep::worker::AttemptLog log(/*keep_bytes=*/64, kChunk);
  int64_t next = 0;
  int reads = 0;
  for (size_t at = 0; at < bytes.size(); at += read) {
    log.Append(bytes.substr(at, read));
    if (++reads % take_every == 0) Check(log.TakeChunks(24), next, kChunk);
  }
  log.Close();
  Check(log.TakeChunks(1 << 20), next, kChunk);
  if (next != log.end_offset() && !(next == 0 && log.end_offset() == 0)) std::abort();
  if (log.pending_bytes() != 0) std::abort();
  return 0;
}
