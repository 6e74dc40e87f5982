#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spec/diagnostics.h"

namespace junction::spec {

// A node of a loaded YAML document that knows where it was written. Spec
// parsing reads through Node so every error can name file:line:col.
class Node {
 public:
  Node() = default;
  Node(YAML::Node yaml, std::shared_ptr<const std::filesystem::path> file)
      : yaml_(std::move(yaml)), file_(std::move(file)) {}

  // Parses YAML text; syntax errors are recorded with their position.
  static std::optional<Node> parse(const std::string& text, const std::filesystem::path& file,
                                   Diagnostics& diags);
  static std::optional<Node> load_file(const std::filesystem::path& file, Diagnostics& diags);

  bool defined() const { return yaml_.IsDefined(); }
  bool is_null() const { return !yaml_.IsDefined() || yaml_.IsNull(); }
  bool is_map() const { return yaml_.IsMap(); }
  bool is_sequence() const { return yaml_.IsSequence(); }
  bool is_scalar() const { return yaml_.IsScalar(); }
  // "mapping", "sequence", "scalar" or "nothing", for error messages.
  std::string kind_name() const;

  Location location() const;
  // The scalar exactly as written, before ${...} interpolation.
  const std::string& raw() const { return yaml_.Scalar(); }

  // Map lookup; an undefined Node when absent or when this is not a map.
  Node get(const std::string& key) const;
  // Map entries in document order: (key node, value node).
  std::vector<std::pair<Node, Node>> entries() const;
  // Sequence items in order.
  std::vector<Node> items() const;

  const YAML::Node& yaml() const { return yaml_; }
  // The spec file this node came from; relative paths in a spec resolve
  // against its directory.
  std::filesystem::path file() const { return file_ ? *file_ : std::filesystem::path(); }
  std::filesystem::path base_dir() const { return file().parent_path(); }

 private:
  YAML::Node yaml_{YAML::NodeType::Undefined};
  std::shared_ptr<const std::filesystem::path> file_;
  // yaml-cpp marks an empty value (`key:`) at the token after it, often the
  // next key; such a value is located at its key instead.
  YAML::Mark mark_ = YAML::Mark::null_mark();
};

// Replaces ${NAME} with the environment variable NAME and ${file:PATH} with
// the contents of PATH (relative to the spec's directory; one trailing
// newline trimmed). "$${" writes a literal "${". A missing variable or an
// unreadable file is an error naming it, never echoing any value.
std::optional<std::string> interpolate(const Node& scalar, Diagnostics& diags);

}  // namespace junction::spec
