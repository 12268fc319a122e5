// Exceptions the trainer throws internally, one per exit status of the trainer
// contract (DESIGN.md). ltsweep-train's main() maps them:
//   ConfigError -> exit 2 (invalid config), DataError -> exit 3 (unusable data),
//   Interrupted -> exit 4 (SIGTERM, after writing a checkpoint);
//   anything else escaping main is a crash (exit 1).
// Messages name the file, key or field at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace ltsweep::trainer {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCrash = 1;
inline constexpr int kExitInvalidConfig = 2;
inline constexpr int kExitUnusableData = 3;
inline constexpr int kExitInterrupted = 4;

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
