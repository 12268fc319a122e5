// Store: trial logs -- the chunks of each attempt's trainer stderr that
// ReportMetrics carries (AppendLogChunks, inside its write) and their read
// (GetTrialLogs). See common/trial_logs.h for the stream and its limits.
#include <algorithm>
#include <string>
#include <vector>

#include "common/trial_logs.h"
#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

struct LogState {
  int64_t end_offset = 0;
  int64_t kept_bytes = 0;
};

StatusOr<LogState> ReadLogState(sqlite::Db* db, int64_t trial_id, int attempt) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT end_offset, kept_bytes FROM trial_logs WHERE trial_id = ? AND attempt = ?"));
  stmt.Bind(trial_id, attempt);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  LogState state;
  if (row) state = {stmt.Int64(0), stmt.Int64(1)};
  return state;
}

// Deletes the oldest chunks while the newer ones hold kTrialLogKeepBytes
// without them: the attempt keeps its last 1 MiB, plus at most one chunk.
Status TrimToBound(sqlite::Db* db, int64_t trial_id, int attempt, LogState& state) {
  if (state.kept_bytes <= kTrialLogKeepBytes) return Status::Ok();
  int64_t cut = -1;  // delete the chunks before this offset
  {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt,
        db->Prepare("SELECT log_offset, bytes FROM trial_log_chunks WHERE trial_id = ? AND attempt = ? "
                    "ORDER BY log_offset"));
    stmt.Bind(trial_id, attempt);
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      const int64_t bytes = stmt.Int64(1);
      if (state.kept_bytes - bytes < kTrialLogKeepBytes) {
        cut = stmt.Int64(0);
        break;
      }
      state.kept_bytes -= bytes;
    }
  }
  if (cut < 0) return Status::Ok();
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt del,
      db->Prepare("DELETE FROM trial_log_chunks WHERE trial_id = ? AND attempt = ? AND log_offset < ?"));
  del.Bind(trial_id, attempt, cut);
  return del.Run();
}

// The part of `chunk` past `end` (what was not received yet), from a
// character boundary on; empty when it was all received.
LogChunk NewPart(const LogChunk& chunk, int64_t end) {
  const int64_t size = static_cast<int64_t>(chunk.text.size());
  if (chunk.offset >= end) return chunk;
  if (chunk.offset + size <= end) return {};
  const size_t from = utf8::NextBoundary(chunk.text, static_cast<size_t>(end - chunk.offset));
  return {chunk.offset + static_cast<int64_t>(from), chunk.text.substr(from)};
}

}  // namespace

std::string LogChunkRejection(const LogChunk& chunk) {
  const std::string at = "log chunk at offset " + std::to_string(chunk.offset);
  if (chunk.offset < 0 || chunk.offset > kTrialLogMaxOffset) return at + ": offset out of range";
  if (chunk.text.empty()) return at + ": no text";
  if (static_cast<int64_t>(chunk.text.size()) > kTrialLogChunkBytes) {
    return at + ": " + std::to_string(chunk.text.size()) + " bytes, at most " +
           std::to_string(kTrialLogChunkBytes);
  }
  if (!utf8::IsValid(chunk.text)) return at + ": not valid UTF-8";
  return "";
}

Status AppendLogChunks(sqlite::Db* db, int64_t trial_id, int attempt, std::vector<LogChunk> chunks) {
  if (chunks.empty()) return Status::Ok();
  std::sort(chunks.begin(), chunks.end(),
            [](const LogChunk& a, const LogChunk& b) { return a.offset < b.offset; });
  LTSWEEP_ASSIGN_OR_RETURN(LogState state, ReadLogState(db, trial_id, attempt));
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt insert,
      db->Prepare("INSERT OR IGNORE INTO trial_log_chunks (trial_id, attempt, log_offset, bytes, text) "
                  "VALUES (?, ?, ?, ?, ?)"));
  bool changed = false;
  for (const LogChunk& chunk : chunks) {
    const LogChunk part = NewPart(chunk, state.end_offset);
    if (part.text.empty()) continue;  // sent before: nothing to do
    const auto bytes = static_cast<int64_t>(part.text.size());
    insert.Bind(trial_id, attempt, part.offset, bytes, part.text);
    LTSWEEP_RETURN_IF_ERROR(insert.Run());
    state.kept_bytes += bytes;
    state.end_offset = part.offset + bytes;
    changed = true;
  }
  if (!changed) return Status::Ok();
  LTSWEEP_RETURN_IF_ERROR(TrimToBound(db, trial_id, attempt, state));
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt upsert,
      db->Prepare("INSERT INTO trial_logs (trial_id, attempt, end_offset, kept_bytes) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (trial_id, attempt) DO UPDATE SET end_offset = excluded.end_offset, "
                  "kept_bytes = excluded.kept_bytes"));
  upsert.Bind(trial_id, attempt, state.end_offset, state.kept_bytes);
  return upsert.Run();
}

namespace {

Status CheckLogRequest(const TrialLogRequest& request) {
  if (request.attempt && *request.attempt < 1) {
    return InvalidArgumentError("attempt must be >= 1, got " + std::to_string(*request.attempt));
  }
  if (request.from_offset < 0 || request.from_offset > kTrialLogMaxOffset) {
    return InvalidArgumentError("from_offset out of range: " + std::to_string(request.from_offset));
  }
  if (request.max_bytes < 1 || request.max_bytes > kTrialLogMaxReadBytes) {
    return InvalidArgumentError("max_bytes must be 1.." + std::to_string(kTrialLogMaxReadBytes) + ", got " +
                                std::to_string(request.max_bytes));
  }
  return Status::Ok();
}

// Fills out.attempt_state and out.finished; NOT_FOUND for an attempt the
// trial does not have.
Status ReadAttemptState(sqlite::Db* db, TrialLog& out, int latest) {
  LTSWEEP_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                           db->Prepare("SELECT status FROM attempts WHERE trial_id = ? AND attempt = ?"));
  stmt.Bind(out.source_trial_id, out.attempt);
  LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return NotFoundError("trial " + std::to_string(out.trial_id) + " has no attempt " + std::to_string(out.attempt) +
                         (latest > 0 ? " (attempts 1.." + std::to_string(latest) + ")" : " (none yet)"));
  }
  out.attempt_state = stmt.Text(0);
  out.finished = out.attempt_state != "running";
  return Status::Ok();
}

// Appends the kept text from out.next_offset on to out.text, up to
// max_bytes, counting the bytes that are gone on the way.
Status ReadLogText(sqlite::Db* db, TrialLog& out, int64_t max_bytes) {
  LTSWEEP_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db->Prepare("SELECT log_offset, text FROM trial_log_chunks WHERE trial_id = ? AND attempt = ? "
                  "AND log_offset + bytes > ? ORDER BY log_offset"));
  stmt.Bind(out.source_trial_id, out.attempt, out.next_offset);
  for (;;) {
    LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const int64_t offset = stmt.Int64(0);
    const std::string text = stmt.Text(1);
    if (offset > out.next_offset) {  // a gap: dropped bytes
      out.dropped_bytes += offset - out.next_offset;
      out.next_offset = offset;
    }
    size_t from = static_cast<size_t>(out.next_offset - offset);
    const size_t start = utf8::NextBoundary(text, from);  // a from_offset inside a character
    out.dropped_bytes += static_cast<int64_t>(start - from);
    const int64_t room = max_bytes - static_cast<int64_t>(out.text.size());
    size_t stop = text.size();
    if (static_cast<int64_t>(stop - start) > room) {
      stop = utf8::PrevBoundary(text, start + static_cast<size_t>(std::max<int64_t>(room, 0)));
    }
    out.text.append(text, start, stop - start);
    out.next_offset = offset + static_cast<int64_t>(stop);
    if (stop < text.size()) break;  // full
  }
  return Status::Ok();
}

StatusOr<TrialLog> GetTrialLogsTxn(sqlite::Db* db, const TrialLogRequest& request) {
  LTSWEEP_ASSIGN_OR_RETURN(MetricsSource source, ResolveMetricsSource(db, request.trial_id));
  TrialLog out;
  out.trial_id = request.trial_id;
  out.source_trial_id = source.trial_id;
  out.attempt = request.attempt.value_or(source.latest_attempt);
  out.from_offset = out.next_offset = request.from_offset;
  if (out.attempt == 0) return out;  // not leased yet: no log
  LTSWEEP_RETURN_IF_ERROR(ReadAttemptState(db, out, source.latest_attempt));
  LTSWEEP_ASSIGN_OR_RETURN(LogState state, ReadLogState(db, out.source_trial_id, out.attempt));
  out.end_offset = state.end_offset;
  out.kept_bytes = state.kept_bytes;
  if (request.from_offset > state.end_offset) {
    return InvalidArgumentError("from_offset " + std::to_string(request.from_offset) + " is past the end of the log (" +
                                std::to_string(state.end_offset) + " bytes)");
  }
  LTSWEEP_RETURN_IF_ERROR(ReadLogText(db, out, request.max_bytes));
  return out;
}

}  // namespace

StatusOr<TrialLog> Store::GetTrialLogs(const TrialLogRequest& request) {
  LTSWEEP_RETURN_IF_ERROR(CheckLogRequest(request));
  return rep_->Read<TrialLog>([&](sqlite::Db* db) { return GetTrialLogsTxn(db, request); });
}

}  // namespace ltsweep
