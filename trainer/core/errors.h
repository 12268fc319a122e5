// Exceptions the trainer throws internally, one per failing exit status of the
// trainer contract (common/trainer_contract.h, which owns the codes).
// ltsweep-train's main() maps them:
//   ConfigError -> contract::kExitInvalidConfig (2),
//   DataError   -> contract::kExitUnusableData (3),
//   Interrupted -> contract::kExitInterrupted (4, after writing a checkpoint),
//   CannotRunHere -> contract::kExitCannotRunHere (5: no CUDA device as asked,
//                  a data file missing or unreadable on this node, a
//                  checkpoint folder that cannot be written);
//   anything else escaping main is a crash (contract::kExitCrash).
// Messages name the file, key or field at fault.
//
// Thread-safety: exception types; nothing shared.
#pragma once

#include <stdexcept>
#include <string>

namespace ltsweep::trainer {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// This machine cannot run the trial; another worker may. Not a DataError: a
// data file that is present but corrupt is DataError (final everywhere).
class CannotRunHere : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted by SIGTERM") {}
};

}  // namespace ltsweep::trainer
