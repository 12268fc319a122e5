// Exceptions the trainer throws internally, one per failing exit status of the
// trainer contract (common/trainer_contract.h, which owns the codes).
// ltsweep-train's main() maps them:
//   ConfigError -> contract::kExitInvalidConfig (2),
//   DataError   -> contract::kExitUnusableData (3),
//   Interrupted -> contract::kExitInterrupted (4, after writing a checkpoint);
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

class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted by SIGTERM") {}
};

}  // namespace ltsweep::trainer
