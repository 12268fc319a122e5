// Shared helpers for every ltsweep test binary: temporary folders, paths to
// fixtures and ../shared/, Status matchers.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/status.h"

namespace ltsweep::testing {

// A fresh folder under $TMPDIR, removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The repository root (LTSWEEP_SOURCE_DIR, set by ctest).
std::filesystem::path SourceDir();
// The build folder (LTSWEEP_BINARY_DIR, set by ctest).
std::filesystem::path BinaryDir();
// ../shared/ (LTSWEEP_SHARED_DIR), or empty when it does not exist.
std::filesystem::path SharedDir();

// Writes `text` to `path`, creating parent folders.
void WriteFile(const std::filesystem::path& path, const std::string& text);
std::string ReadFile(const std::filesystem::path& path);

}  // namespace ltsweep::testing

// Skips the current test, naming why, when ../shared/ is absent.
#define LTSWEEP_REQUIRE_SHARED()                                                            \
  do {                                                                                      \
    if (::ltsweep::testing::SharedDir().empty())                                            \
      GTEST_SKIP() << "../shared/ (reference values and data sets) is not present; skipped"; \
  } while (0)

#define EXPECT_OK(expr)                                     \
  do {                                                      \
    const auto& _st = (expr);                               \
    EXPECT_TRUE(_st.ok()) << ::ltsweep::testing::Describe(_st); \
  } while (0)
#define ASSERT_OK(expr)                                     \
  do {                                                      \
    const auto& _st = (expr);                               \
    ASSERT_TRUE(_st.ok()) << ::ltsweep::testing::Describe(_st); \
  } while (0)

namespace ltsweep::testing {
inline std::string Describe(const Status& s) { return s.ToString(); }
template <typename T>
std::string Describe(const StatusOr<T>& s) { return s.status().ToString(); }
}  // namespace ltsweep::testing
