#include "worker/attempt_log.h"

#include <algorithm>

#include "worker/output_limits.h"

namespace ltsweep::worker {

AttemptLog::AttemptLog(int64_t keep_bytes, int64_t chunk_bytes)
    : keep_bytes_(std::max<int64_t>(keep_bytes, 4)), chunk_bytes_(std::max<int64_t>(chunk_bytes, 4)) {}

void AttemptLog::Append(std::string_view bytes) {
  held_.append(bytes.data(), bytes.size());
  const size_t complete = utf8::CompletePrefix(held_);
  if (complete == 0) return;
  AddText(ToValidUtf8(std::string_view(held_).substr(0, complete)));
  held_.erase(0, complete);
}

void AttemptLog::Close() {
  if (held_.empty()) return;
  AddText(ToValidUtf8(held_));
  held_.clear();
}

void AttemptLog::AddText(const std::string& text) {
  kept_ += text;
  end_ += static_cast<int64_t>(text.size());
  if (static_cast<int64_t>(kept_.size()) > 2 * keep_bytes_) {
    const size_t cut = utf8::NextBoundary(kept_, kept_.size() - static_cast<size_t>(keep_bytes_));
    kept_.erase(0, cut);
  }
}

int64_t AttemptLog::pending_bytes() const {
  const int64_t window = std::max(end_ - keep_bytes_, end_ - static_cast<int64_t>(kept_.size()));
  return end_ - std::max(taken_, window);
}

std::vector<TextChunk> AttemptLog::TakeChunks(int64_t max_bytes) {
  std::vector<TextChunk> chunks;
  const int64_t kept_from = end_ - static_cast<int64_t>(kept_.size());
  // The last keep_bytes_, from a character boundary on.
  const int64_t window = kept_from + static_cast<int64_t>(utf8::NextBoundary(
                                         kept_, static_cast<size_t>(std::max<int64_t>(0, end_ - keep_bytes_ - kept_from))));
  if (taken_ < window) {
    skipped_ += window - taken_;
    taken_ = window;
  }
  int64_t budget = max_bytes;
  while (taken_ < end_ && (chunks.empty() || budget > 0)) {
    const auto at = static_cast<size_t>(taken_ - kept_from);
    const int64_t want = std::min({chunk_bytes_, end_ - taken_, std::max<int64_t>(budget, 4)});
    size_t stop = utf8::PrevBoundary(kept_, at + static_cast<size_t>(want));
    if (stop <= at) stop = utf8::NextBoundary(kept_, at + 1);  // one character at least
    chunks.push_back({taken_, kept_.substr(at, stop - at)});
    taken_ += static_cast<int64_t>(stop - at);
    budget -= static_cast<int64_t>(stop - at);
  }
  return chunks;
}

}  // namespace ltsweep::worker
