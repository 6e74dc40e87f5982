#include "spec/node.h"

#include <yaml-cpp/eventhandler.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace junction::spec {
namespace {

Location location_of(const YAML::Mark& mark, const std::filesystem::path& file) {
  Location where{file.string()};
  if (!mark.is_null()) {
    where.line = mark.line + 1;
    where.column = mark.column + 1;
  }
  return where;
}

// yaml-cpp 0.7's YAML::LoadAll never returns on a stray ',' outside a flow
// collection (jbeder/yaml-cpp#1040, fixed upstream by PR #1319): its parser
// reports an empty document at the same place forever, allocating each time.
// So documents are counted with a bounded walk over parser events, and a
// document that starts where the previous one did is that stray token.
class DocumentCounter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

struct DocumentStarts {
  std::vector<YAML::Mark> marks;    // at most three
  std::optional<YAML::Mark> stuck;  // where the parser stopped making progress
};

// Throws YAML::ParserException like the loader would.
DocumentStarts scan_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  // Three documents tell "one", "several" and "stuck after a second" apart.
  for (int i = 0; i < 3 && parser.HandleNextDocument(counter); ++i) {
    const auto& m = counter.starts;
    if (m.size() >= 2 && m[m.size() - 1].pos == m[m.size() - 2].pos) {
      return DocumentStarts{m, m.back()};
    }
  }
  return DocumentStarts{counter.starts, std::nullopt};
}

}  // namespace

std::optional<Node> Node::parse(const std::string& text, const std::filesystem::path& file,
                                Diagnostics& diags) {
  try {
    DocumentStarts starts = scan_documents(text);
    if (starts.stuck) {
      const size_t pos = static_cast<size_t>(starts.stuck->pos);
      const bool printable = pos < text.size() && text[pos] > ' ' && text[pos] < 0x7f;
      diags.error(location_of(*starts.stuck, file),
                  printable ? "invalid YAML: unexpected '" + std::string(1, text[pos]) + "'"
                            : std::string("invalid YAML: unexpected text"));
      return std::nullopt;
    }
    if (starts.marks.size() > 1) {
      diags.error(location_of(starts.marks[1], file),
                  "a spec is one YAML document, found a second one here",
                  "remove the '---' separator or split the spec into files");
      return std::nullopt;
    }
    // An empty text is an empty document: a null root the caller reports on.
    return Node(YAML::Load(text), std::make_shared<const std::filesystem::path>(file));
  } catch (const YAML::ParserException& e) {
    diags.error(location_of(e.mark, file), "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    diags.error(location_of(YAML::Mark::null_mark(), file),
                std::string("invalid YAML: ") + e.what());
  }
  return std::nullopt;
}

std::optional<Node> Node::load_file(const std::filesystem::path& file, Diagnostics& diags) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    diags.error(Location{file.string()},
                "cannot read spec file '" + file.string() + "': it is a directory");
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diags.error(Location{file.string()},
                "cannot read spec file '" + file.string() + "': " + std::strerror(errno));
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    diags.error(Location{file.string()}, "cannot read spec file '" + file.string() + "'");
    return std::nullopt;
  }
  return parse(text, file, diags);
}

std::string Node::kind_name() const {
  if (is_map()) return "mapping";
  if (is_sequence()) return "sequence";
  if (is_scalar()) return "scalar";
  return "nothing";
}

Location Node::location() const {
  if (!mark_.is_null()) return location_of(mark_, file());
  try {
    if (!yaml_.IsDefined()) return Location{file().string()};
    return location_of(yaml_.Mark(), file());
  } catch (const std::exception&) {
    return Location{file().string()};
  }
}

Node Node::get(const std::string& key) const {
  for (auto& [k, v] : entries()) {
    if (k.is_scalar() && k.raw() == key) return v;
  }
  return Node(YAML::Node(YAML::NodeType::Undefined), file_);
}

std::vector<std::pair<Node, Node>> Node::entries() const {
  std::vector<std::pair<Node, Node>> out;
  try {
    if (!yaml_.IsMap()) return out;
    for (auto it = yaml_.begin(); it != yaml_.end(); ++it) {
      Node key(it->first, file_);
      Node value(it->second, file_);
      if (value.yaml_.IsNull()) value.mark_ = it->first.Mark();
      out.emplace_back(std::move(key), std::move(value));
    }
  } catch (const std::exception&) {
    // Only a corrupt node throws here; what was read so far is all there is.
  }
  return out;
}

std::vector<Node> Node::items() const {
  std::vector<Node> out;
  try {
    if (!yaml_.IsSequence()) return out;
    for (auto it = yaml_.begin(); it != yaml_.end(); ++it) out.emplace_back(*it, file_);
  } catch (const std::exception&) {
    // As in entries(): nothing more can be read.
  }
  return out;
}

}  // namespace junction::spec
