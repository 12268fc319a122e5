#include "tests/testing/test_util.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace ltsweep::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  fs::path base = tmp ? tmp : "/tmp";
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    fs::path p = base / ("ltsweep-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder under " + base.string());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

static fs::path EnvPath(const char* name, const fs::path& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? fs::path(v) : fallback;
}

fs::path SourceDir() { return EnvPath("LTSWEEP_SOURCE_DIR", fs::current_path()); }
fs::path BinaryDir() { return EnvPath("LTSWEEP_BINARY_DIR", fs::current_path()); }

fs::path SharedDir() {
  fs::path p = EnvPath("LTSWEEP_SHARED_DIR", SourceDir() / ".." / "shared");
  std::error_code ec;
  if (fs::exists(p / "reference", ec) || fs::exists(p / "data", ec)) return fs::weakly_canonical(p, ec);
  return {};
}

void WriteFile(const fs::path& path, const std::string& text) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ltsweep::testing
