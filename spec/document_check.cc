#include "spec/document_check.h"

#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "spec/yaml_scalar.h"
#include "spec/yaml_util.h"

namespace ltsweep::spec::internal {
namespace {

// A key as shown in a path: long keys are cut so that messages stay short.
std::string PathKey(std::string_view key) {
  return key.size() <= 40 ? std::string(key) : std::string(key.substr(0, 37)) + "...";
}

// A number as shown in a message: the first digits and its length.
std::string BriefNumber(const std::string& s) {
  if (s.size() <= 24) return s;
  return fmt::format("{}... ({} characters)", s.substr(0, 12), s.size());
}

class DocumentWalk {
 public:
  DocumentWalk(const std::string& file, const SpecLimits& limits) : file_(file), limits_(limits) {}

  // `depth`: nesting level of `node` (the top-level mapping is 1).
  // `top_line`: line of the top-level key the walk is under, blamed for
  // the node budget (an aliased node carries the line of its anchor).
  Status Visit(const YAML::Node& node, int depth, int top_line) {
    if (++nodes_ > limits_.max_nodes)
      return InvalidArgumentError(fmt::format(
          "{}:{}: {}: the document expands to more than {} YAML nodes (each use of an alias *name counts the "
          "nodes it stands for again; an alias bomb?); a sweep spec needs a few thousand",
          file_, top_line, Path(1), limits_.max_nodes));
    if (node.IsScalar()) return CheckScalar(node);
    if (!node.IsSequence() && !node.IsMap()) return Status::Ok();
    if (depth > limits_.max_depth)
      return SpecError(file_, LineOf(node, top_line), Path(),
                       fmt::format("nested deeper than the limit of {} levels", limits_.max_depth));
    return node.IsSequence() ? VisitSequence(node, depth, top_line) : VisitMap(node, depth, top_line);
  }

 private:
  // One step of the key path: a mapping key, or an index into a list.
  struct PathPart {
    std::string_view key;  // points into the document; empty for an index
    size_t index = 0;
  };

  Status VisitSequence(const YAML::Node& node, int depth, int top_line) {
    path_.push_back(PathPart{});
    for (const auto& item : node) {
      LTSWEEP_RETURN_IF_ERROR(Visit(item, depth + 1, top_line));
      ++path_.back().index;
    }
    path_.pop_back();
    return Status::Ok();
  }

  Status VisitMap(const YAML::Node& node, int depth, int top_line) {
    for (const auto& kv : node) {
      const std::string_view key = kv.first.IsScalar() ? std::string_view(kv.first.Scalar()) : "?";
      path_.push_back(PathPart{key.empty() ? "\"\"" : key});
      const int line = depth == 1 ? LineOf(kv.first, top_line) : top_line;
      LTSWEEP_RETURN_IF_ERROR(Visit(kv.first, depth + 1, line));
      LTSWEEP_RETURN_IF_ERROR(Visit(kv.second, depth + 1, line));
      path_.pop_back();
    }
    return Status::Ok();
  }

  Status CheckScalar(const YAML::Node& node) const {
    if (IsQuoted(node) || !IsNumberOutOfRange(node.Scalar())) return Status::Ok();
    return SpecError(file_, LineOf(node, 1), Path(),
                     fmt::format("the number {} is out of range (beyond 1.8e308)", BriefNumber(node.Scalar())));
  }

  // "config.train.lr", "seeds[3]": the first `parts` steps of the path (all
  // when 0), or "(top level)".
  std::string Path(size_t parts = 0) const {
    std::string out;
    for (size_t i = 0; i < path_.size() && (parts == 0 || i < parts); ++i) {
      if (path_[i].key.empty()) {
        out += fmt::format("[{}]", path_[i].index);
      } else {
        out += (out.empty() ? "" : ".") + PathKey(path_[i].key);
      }
    }
    return out.empty() ? "(top level)" : out;
  }

  const std::string& file_;
  const SpecLimits& limits_;
  int64_t nodes_ = 0;
  std::vector<PathPart> path_;  // where the node being visited is
};

}  // namespace

Status CheckDocument(const YAML::Node& root, const std::string& file, const SpecLimits& limits) {
  return DocumentWalk(file, limits).Visit(root, 1, 1);
}

}  // namespace ltsweep::spec::internal
