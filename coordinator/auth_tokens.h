// Bearer tokens with roles: the roles, the coordinator's tokens file, and
// `ltsweep token create`'s way of adding one.
//
// A token is 32 bytes from the kernel's CSPRNG written as 64 hex digits. It
// is shown once, when created; the coordinator keeps only its SHA-256. The
// tokens file (`ltsweep coordinator --auth-tokens FILE`) has one token a
// line, "#" comments and blank lines allowed:
//
//   # sha256-hex                                                      role   name
//   9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 submit alice
//
// Roles (what each may call is in coordinator/auth_policy.h):
//   admin   everything;
//   submit  submit and cancel sweeps, and every query;
//   read    queries only;
//   worker  the worker service only.
//
// The file must be readable by its owner only as far as the group and other
// users go: a file that other users can read or write, or that the group can
// write, is refused (as ssh refuses a private key that others can read).
//
// Ownership: TokenTable is a value. Thread-safety: a const TokenTable may be
// read from any thread; the file functions are not safe against another
// process writing the same file at the same time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ltsweep::coordinator {

enum class Role { kAdmin, kSubmit, kRead, kWorker };

// "admin", "submit", "read", "worker".
const char* RoleName(Role role);
// INVALID_ARGUMENT naming the roles for anything else.
StatusOr<Role> ParseRole(std::string_view name);

// One line of the tokens file.
struct TokenEntry {
  std::string sha256_hex;  // of the token as the client sends it
  Role role = Role::kRead;
  std::string name;  // for people and logs; never the token
};

// The tokens a coordinator accepts.
class TokenTable {
 public:
  TokenTable() = default;
  explicit TokenTable(std::vector<TokenEntry> entries) : entries_(std::move(entries)) {}

  // The entry whose hash is SHA-256(token), or nullopt. Hashes the token once
  // and compares against every entry in constant time, whether or not an
  // earlier one matched.
  std::optional<TokenEntry> Find(std::string_view token) const;

  const std::vector<TokenEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<TokenEntry> entries_;
};

// Parses the text of a tokens file; errors name `source` and the line
// ("FILE:3: ..."): a hash that is not 64 hex digits, an unknown role, a
// missing name, extra fields, the same hash twice.
StatusOr<TokenTable> ParseTokenTable(std::string_view text, const std::string& source);

// Checks the permissions of `path` (see above) and parses it. NOT_FOUND when
// absent; PERMISSION_DENIED when unreadable or too open.
StatusOr<TokenTable> LoadTokenFile(const std::string& path);

// What CreateToken made: the token (shown once) and its line.
struct CreatedToken {
  std::string token;
  TokenEntry entry;
};

// Makes a new token and appends "<sha256> <role> <name>" to `path`, creating
// the file with mode 0600 when absent. An existing file is loaded first (so a
// malformed or too open file is reported, not appended to); a name already in
// it is ALREADY_EXISTS. `name` empty: "<role>-<first 8 hex of the hash>".
// Names are 1-64 characters of [A-Za-z0-9._@-].
StatusOr<CreatedToken> CreateToken(const std::string& path, Role role, const std::string& name);

}  // namespace ltsweep::coordinator
