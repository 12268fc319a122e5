#include "trainer/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "trainer/core/runtime.h"

namespace ltsweep::trainer {
namespace {

namespace fs = std::filesystem;

std::runtime_error IoError(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string SerializeCheckpoint(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                const nlohmann::json& state) {
  torch::serialize::OutputArchive root;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  root.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  root.write("optimizer", optimizer_archive);
  root.write("state", c10::IValue(state.dump()));
  std::ostringstream out;
  root.save_to(out);
  return out.str();
}

std::string WriteCheckpointBytes(const std::string& dir, const std::string& bytes) {
  fs::create_directories(dir);
  const std::string tmp = (fs::path(dir) / kCheckpointTmpFile).string();
  const std::string final_path = (fs::path(dir) / kCheckpointFile).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot create", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      throw IoError("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw IoError("cannot flush", tmp);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) throw IoError("cannot rename to", final_path);
  return final_path;
}

bool LoadCheckpoint(const std::string& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                    const torch::Device& device, nlohmann::json* state) {
  const std::string path = (fs::path(dir) / kCheckpointFile).string();
  if (!fs::exists(path)) return false;
  try {
    torch::serialize::InputArchive root;
    root.load_from(path, device);
    torch::serialize::InputArchive model_archive;
    root.read("model", model_archive);
    model.load(model_archive);
    torch::serialize::InputArchive optimizer_archive;
    root.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    c10::IValue value;
    root.read("state", value);
    *state = nlohmann::json::parse(value.toStringRef());
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read checkpoint " + path + ": " + e.what());
  }
  return true;
}

}  // namespace ltsweep::trainer
