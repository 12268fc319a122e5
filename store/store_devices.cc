// Store: what kinds of slots the alive workers offer (scheduling that knows
// devices): the answer to "can anyone run this sweep's trials?".
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "store/store_rep.h"

namespace ltsweep {

namespace {

// The GPU counts of a worker's slots: its slot_gpus list, or for a worker
// registered without one, one GPU per slot when it listed GPUs, else CPU.
void AddSlotKinds(const std::string& slot_gpus, const std::string& gpus, std::set<int>& kinds) {
  if (!slot_gpus.empty()) {
    const nlohmann::json list = nlohmann::json::parse(slot_gpus, nullptr, false);
    if (list.is_array()) {
      for (const auto& n : list) {
        if (n.is_number_integer()) kinds.insert(n.get<int>());
      }
      return;
    }
  }
  const nlohmann::json list = nlohmann::json::parse(gpus, nullptr, false);
  kinds.insert(list.is_array() && !list.empty() ? 1 : 0);
}

}  // namespace

StatusOr<SlotKinds> Store::AliveSlotKinds() {
  return rep_->Read<SlotKinds>([](sqlite::Db* db) -> StatusOr<SlotKinds> {
    LTSWEEP_ASSIGN_OR_RETURN(
        sqlite::Stmt stmt, db->Prepare("SELECT slot_gpus, gpus FROM workers WHERE status = 'alive'"));
    SlotKinds out;
    std::set<int> kinds;
    for (;;) {
      LTSWEEP_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ++out.alive_workers;
      AddSlotKinds(stmt.Text(0), stmt.Text(1), kinds);
    }
    out.gpu_counts.assign(kinds.begin(), kinds.end());
    return out;
  });
}

}  // namespace ltsweep
