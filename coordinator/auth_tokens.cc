#include "coordinator/auth_tokens.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "common/config_hash.h"
#include "common/secrets.h"

namespace ltsweep::coordinator {

namespace {

constexpr size_t kTokenBytes = 32;
constexpr size_t kMaxNameLength = 64;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

// One non-comment line -> entry; errors without the "FILE:N: " prefix.
StatusOr<TokenEntry> ParseLine(std::string_view line) {
  const std::vector<std::string_view> f = SplitFields(line);
  if (f.size() != 3) {
    return InvalidArgumentError(
        fmt::format("expected \"<sha256-hex> <role> <name>\", found {} field{}", f.size(), f.size() == 1 ? "" : "s"));
  }
  if (f[0].size() != 64 || !IsLowerHex(f[0])) {
    return InvalidArgumentError("the first field is not a SHA-256 (64 lower-case hex digits)");
  }
  StatusOr<Role> role = ParseRole(f[1]);
  if (!role.ok()) return role.status();
  if (!IsValidName(f[2])) {
    return InvalidArgumentError(fmt::format("name \"{}\" is not 1-{} characters of [A-Za-z0-9._@-]", f[2],
                                            kMaxNameLength));
  }
  return TokenEntry{std::string(f[0]), *role, std::string(f[2])};
}

// Appends `line` to `path` in one write, creating the file 0600 if absent.
Status AppendLine(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return PermissionDeniedError(fmt::format("--tokens: {}: {}", path, std::strerror(errno)));
  Status result;
  if (fchmod(fd, 0600) != 0 ||
      write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || fsync(fd) != 0) {
    result = InternalError(fmt::format("--tokens: {}: cannot write: {}", path, std::strerror(errno)));
  }
  close(fd);
  return result;
}

// Whether the file exists but ends without a newline (hand-edited).
bool EndsWithoutNewline(const std::string& text) { return !text.empty() && text.back() != '\n'; }

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kSubmit: return "submit";
    case Role::kRead: return "read";
    case Role::kWorker: return "worker";
  }
  return "?";
}

StatusOr<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kAdmin, Role::kSubmit, Role::kRead, Role::kWorker}) {
    if (name == RoleName(r)) return r;
  }
  return InvalidArgumentError(
      fmt::format("unknown role \"{}\" (roles: admin, submit, read, worker)", name));
}

std::optional<TokenEntry> TokenTable::Find(std::string_view token) const {
  const std::string hash = Sha256Hex(token);
  std::optional<TokenEntry> found;
  for (const TokenEntry& e : entries_) {
    // No early exit: every entry costs the same whether or not one matched.
    if (ConstantTimeEquals(hash, e.sha256_hex) && !found) found = e;
  }
  return found;
}

StatusOr<TokenTable> ParseTokenTable(std::string_view text, const std::string& source) {
  std::vector<TokenEntry> entries;
  std::set<std::string> hashes;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    StatusOr<TokenEntry> entry = ParseLine(line);
    if (!entry.ok()) return entry.status().WithPrefix(fmt::format("{}:{}", source, line_no));
    if (!hashes.insert(entry->sha256_hex).second) {
      return InvalidArgumentError(fmt::format("{}:{}: the same token hash appears twice", source, line_no));
    }
    entries.push_back(std::move(entry).value());
  }
  return TokenTable(std::move(entries));
}

StatusOr<TokenTable> LoadTokenFile(const std::string& path) {
  LTSWEEP_ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(path, "--auth-tokens"));
  return ParseTokenTable(text, path);
}

StatusOr<CreatedToken> CreateToken(const std::string& path, Role role, const std::string& name) {
  std::string existing;
  StatusOr<std::string> read = ReadPrivateFile(path, "--tokens");
  if (read.ok()) {
    existing = std::move(read).value();
  } else if (read.status().code() != StatusCode::kNotFound) {
    return read.status();
  }
  LTSWEEP_ASSIGN_OR_RETURN(TokenTable table, ParseTokenTable(existing, path));
  if (!name.empty() && !IsValidName(name)) {
    return InvalidArgumentError(
        fmt::format("--name: \"{}\" is not 1-{} characters of [A-Za-z0-9._@-]", name, kMaxNameLength));
  }
  CreatedToken created;
  LTSWEEP_ASSIGN_OR_RETURN(created.token, SecureRandomHex(kTokenBytes));
  created.entry.sha256_hex = Sha256Hex(created.token);
  created.entry.role = role;
  created.entry.name = name.empty() ? fmt::format("{}-{}", RoleName(role), created.entry.sha256_hex.substr(0, 8)) : name;
  for (const TokenEntry& e : table.entries()) {
    if (e.name == created.entry.name) {
      return AlreadyExistsError(fmt::format("--name: {} already has a token named \"{}\"", path, e.name));
    }
  }
  const std::string line = fmt::format("{}{} {} {}\n", EndsWithoutNewline(existing) ? "\n" : "",
                                       created.entry.sha256_hex, RoleName(role), created.entry.name);
  LTSWEEP_RETURN_IF_ERROR(AppendLine(path, line));
  return created;
}

}  // namespace ltsweep::coordinator
