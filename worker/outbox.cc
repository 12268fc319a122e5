#include "worker/outbox.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ltsweep::worker {

namespace fs = std::filesystem;

Status Outbox::Load() {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) return InternalError(fmt::format("{}: cannot create the outbox folder: {}", options_.dir, ec.message()));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : fs::directory_iterator(options_.dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".batch") continue;
    uint64_t seq = 0;
    try {
      seq = std::stoull(name);
    } catch (...) {
      continue;
    }
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    Entry entry{seq, e.path().string(), ss.str().size(), {}};
    if (!entry.batch.ParseFromString(ss.str())) {
      fs::remove(e.path(), ec);  // torn write from a crash: nothing to resend
      ++drops_.unreadable;
      if (log_) log_(fmt::format("outbox: dropped {}: unreadable (torn by a crash?)", name));
      continue;
    }
    bytes_ += entry.size;
    next_seq_ = std::max(next_seq_, seq + 1);
    entries_.emplace(seq, std::move(entry));
  }
  return Status::Ok();
}

Status Outbox::Push(const v1::ReportMetricsRequest& batch) {
  std::string data;
  if (!batch.SerializeToString(&data)) return InternalError("cannot serialise a metric batch");
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t seq = next_seq_++;
  const std::string path = fmt::format("{}/{:012d}.batch", options_.dir, seq);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return InternalError(fmt::format("{}: cannot write a buffered metric batch", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return InternalError(fmt::format("{}: cannot rename a buffered metric batch", tmp));
  }
  entries_.emplace(seq, Entry{seq, path, data.size(), batch});
  bytes_ += data.size();
  while (bytes_ > options_.max_bytes && entries_.size() > 1) {
    const v1::ReportMetricsRequest& oldest = entries_.begin()->second.batch;
    if (log_) {
      log_(fmt::format("outbox over its {}-byte bound: dropped the oldest metric batch (trial {} attempt {}, "
                               "{} rows, {} payloads)",
                               options_.max_bytes, oldest.lease().trial_id(), oldest.lease().attempt(),
                               oldest.rows_size(), oldest.payloads_size()));
    }
    RemoveLocked(entries_.begin());
    ++drops_.over_bound;
  }
  return Status::Ok();
}

void Outbox::RemoveLocked(std::map<uint64_t, Entry>::iterator it) {
  std::error_code ec;
  fs::remove(it->second.path, ec);
  bytes_ -= it->second.size;
  entries_.erase(it);
}

std::optional<v1::ReportMetricsRequest> Outbox::Front(int64_t trial_id, const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [seq, e] : entries_) {
    if (e.batch.lease().trial_id() == trial_id && e.batch.lease().token() == token) return e.batch;
  }
  return std::nullopt;
}

void Outbox::Pop(int64_t trial_id, const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.batch.lease().trial_id() == trial_id && it->second.batch.lease().token() == token) {
      RemoveLocked(it);
      return;
    }
  }
}

void Outbox::Drop(int64_t trial_id, const std::string& token, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->second.batch.lease().trial_id() == trial_id && it->second.batch.lease().token() == token) {
      RemoveLocked(it);
      ++dropped;
    }
    it = next;
  }
  drops_.lease_gone += dropped;
  if (dropped > 0 && log_) {
    log_(fmt::format("outbox: dropped {} buffered metric batch(es) of trial {}: {}", dropped, trial_id, why));
  }
}

bool Outbox::Empty(int64_t trial_id, const std::string& token) { return !Front(trial_id, token).has_value(); }

std::vector<v1::LeaseRef> Outbox::Leases() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::LeaseRef> out;
  for (const auto& [seq, e] : entries_) {
    bool seen = false;
    for (const auto& l : out) seen |= l.trial_id() == e.batch.lease().trial_id() && l.token() == e.batch.lease().token();
    if (!seen) out.push_back(e.batch.lease());
  }
  return out;
}

size_t Outbox::batch_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

uint64_t Outbox::bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

uint64_t Outbox::dropped_batches() {
  std::lock_guard<std::mutex> lock(mu_);
  return drops_.over_bound;
}

OutboxDrops Outbox::drops() {
  std::lock_guard<std::mutex> lock(mu_);
  return drops_;
}

}  // namespace ltsweep::worker
