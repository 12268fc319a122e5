#include "common/secrets.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ltsweep {

StatusOr<std::string> SecureRandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t filled = 0;
  while (filled < n) {
    ssize_t got = getrandom(out.data() + filled, n - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return InternalError(std::string("getrandom: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(got);
  }
  return out;
}

StatusOr<std::string> SecureRandomHex(size_t n) {
  StatusOr<std::string> bytes = SecureRandomBytes(n);
  if (!bytes.ok()) return bytes.status();
  return HexEncode(*bytes);
}

std::string HexEncode(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | (x ^ y);
  }
  return diff == 0;
}

StatusOr<std::string> ReadPrivateFile(const std::string& path, const std::string& flag) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const std::string why = std::strerror(errno);
    if (errno == ENOENT) return NotFoundError(flag + ": " + path + ": no such file");
    return PermissionDeniedError(flag + ": " + path + ": " + why);
  }
  if (!S_ISREG(st.st_mode)) return InvalidArgumentError(flag + ": " + path + ": not a regular file");
  const unsigned mode = st.st_mode & 07777;
  if ((mode & (S_IRWXO | S_IWGRP)) != 0) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode);
    return PermissionDeniedError(flag + ": " + path + ": mode " + octal +
                                 " lets other users read or change it; run: chmod 600 " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return PermissionDeniedError(flag + ": " + path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace ltsweep
