// `ltsweep token create`: adds a bearer token with a role to a coordinator's
// tokens file (coordinator/auth_tokens.h) and shows the token once.
//
//   ltsweep token create --role submit --tokens tokens.txt --name alice
//   ltsweep token create --role worker --tokens tokens.txt --out worker.token
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "coordinator/auth_tokens.h"

namespace ltsweep::cli {

namespace {

struct TokenCreateArgs {
  std::string role;
  std::string tokens_file;
  std::string name;
  std::string out_file;  // empty: print the token on stdout
};

// Writes `token` to a new file readable by its owner only.
Status WritePrivateFile(const std::string& path, const std::string& token) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExistsError(fmt::format("--out: {} already exists: not overwritten", path));
    return PermissionDeniedError(fmt::format("--out: {}: {}", path, std::strerror(errno)));
  }
  const std::string text = token + "\n";
  Status result;
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || fsync(fd) != 0) {
    result = InternalError(fmt::format("--out: {}: cannot write: {}", path, std::strerror(errno)));
  }
  close(fd);
  return result;
}

// Runs `token create`: the token goes to `out` (or to args.out_file), what was
// done to `err`. Errors name the flag at fault.
Status RunTokenCreate(const TokenCreateArgs& args, std::ostream& out, std::ostream& err) {
  StatusOr<coordinator::Role> role = coordinator::ParseRole(args.role);
  if (!role.ok()) return role.status().WithPrefix("--role");
  if (!args.out_file.empty() && access(args.out_file.c_str(), F_OK) == 0) {
    return AlreadyExistsError(fmt::format("--out: {} already exists: not overwritten", args.out_file));
  }
  LTSWEEP_ASSIGN_OR_RETURN(coordinator::CreatedToken created,
                           coordinator::CreateToken(args.tokens_file, *role, args.name));
  if (!args.out_file.empty()) {
    LTSWEEP_RETURN_IF_ERROR(WritePrivateFile(args.out_file, created.token));
  } else {
    out << created.token << "\n" << std::flush;
  }
  err << fmt::format("ltsweep: added token \"{}\" (role {}) to {}; {}\n", created.entry.name,
                     coordinator::RoleName(created.entry.role), args.tokens_file,
                     args.out_file.empty() ? "it is shown only this once: keep it secret"
                                           : "the token is in " + args.out_file + " (mode 0600)");
  return Status::Ok();
}

}  // namespace

// Adds `token create` to `app`.
void RegisterTokenCommands(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "Manage the bearer tokens a coordinator accepts");
  token->require_subcommand(1);
  auto args = std::make_shared<TokenCreateArgs>();
  CLI::App* create = token->add_subcommand(
      "create", "Make a token with a role, add its hash to a tokens file, and show the token once");
  create->add_option("--role", args->role, "admin, submit (submit, cancel, read), read (queries) or worker")
      ->required();
  create->add_option("--tokens", args->tokens_file,
                     "The coordinator's tokens file (its --auth-tokens); created with mode 0600 when absent")
      ->required();
  create->add_option("--name", args->name, "A name for people and logs (default: <role>-<hash prefix>)");
  create->add_option("--out", args->out_file, "Write the token to this new file (mode 0600) instead of stdout");
  create->footer(
      "Example:\n  ltsweep token create --role submit --tokens tokens.txt --name alice\n"
      "  ltsweep token create --role worker --tokens tokens.txt --out worker.token\n"
      "The coordinator reads the file at start: restart it to add or revoke tokens (delete a line to revoke).");
  create->callback([args] { ThrowIfError(RunTokenCreate(*args, std::cout, std::cerr)); });
}

}  // namespace ltsweep::cli
