#include "jsonschema/schema_files.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "jsonschema/constraints.h"

namespace junction::jsonschema {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr uintmax_t kMaxSchemaBytes = 16 * 1024 * 1024;
constexpr size_t kMaxDocuments = 64;
constexpr int kMaxInPlaceDepth = 1000;
constexpr int kMaxWalkDepth = 2000;

Result<json::value> read_json(const fs::path& path) {
  std::error_code size_ec;
  auto size = fs::file_size(path, size_ec);
  if (size_ec) return Error::invalid(fmt::format("cannot read schema file {}", path.string()));
  if (size > kMaxSchemaBytes) {
    return Error::invalid(fmt::format("schema file {} is larger than 16 MiB", path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::invalid(fmt::format("cannot read schema file {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec, {}, options);
  if (ec) {
    return Error::invalid(
        fmt::format("schema file {} is not valid JSON: {}", path.string(), ec.message()));
  }
  return doc;
}

// "common.json#/definitions/a" -> {"common.json", "/definitions/a"}.
std::pair<std::string_view, std::string_view> split_ref(std::string_view ref) {
  auto hash = ref.find('#');
  if (hash == std::string_view::npos) return {ref, {}};
  return {ref.substr(0, hash), ref.substr(hash + 1)};
}

const json::string* ref_of(const json::object& o) {
  const json::value* ref = o.if_contains("$ref");
  return ref ? ref->if_string() : nullptr;
}

// Visits every object in `doc`, without recursion (documents may be deep).
template <class Fn>
void for_each_object(const json::value& doc, Fn&& fn) {
  std::vector<const json::value*> stack{&doc};
  while (!stack.empty()) {
    const json::value* v = stack.back();
    stack.pop_back();
    if (const auto* o = v->if_object()) {
      fn(*v, *o);
      for (const auto& member : *o) stack.push_back(&member.value());
    } else if (const auto* a = v->if_array()) {
      for (const auto& item : *a) stack.push_back(&item);
    }
  }
}

// valijson resolves a top-level {"$ref": "other.json"} inside the same
// document, finds itself, and recurses forever; the equivalent
// {"allOf": [{"$ref": "other.json"}]} goes through its document loader.
void wrap_top_level_ref(json::value& doc) {
  auto* obj = doc.if_object();
  const json::string* ref = obj ? ref_of(*obj) : nullptr;
  if (!ref || split_ref(*ref).first.empty()) return;
  json::object inner;
  inner["$ref"] = *ref;
  json::array all_of;
  all_of.push_back(std::move(inner));
  json::object outer;
  for (const char* keep : {"$schema", "$id", "id"}) {
    if (const auto* v = obj->if_contains(keep)) outer[keep] = *v;
  }
  outer["allOf"] = std::move(all_of);
  doc = std::move(outer);
}

// Finds recursion that does not descend into the payload. Such a loop goes
// through keywords that apply a subschema to the same value ($ref, allOf,
// anyOf, oneOf, not, if/then/else, dependencies); a loop through properties
// or items is fine, since every turn consumes one level of the payload.
class RecursionCheck {
 public:
  explicit RecursionCheck(const SchemaFiles& files) : files_(files) {}

  Status run() {
    Status result;
    auto visit_doc = [&](const json::value& doc) {
      for_each_object(doc, [&](const json::value& node, const json::object&) {
        if (result.ok()) result = visit(node, doc, {}, 0);
      });
    };
    visit_doc(files_.root);
    for (const auto& [name, doc] : files_.referenced) visit_doc(doc);
    return result;
  }

 private:
  enum class Color { kActive, kDone };

  Status visit(const json::value& node, const json::value& doc, std::string_view via, int depth) {
    auto [it, fresh] = colors_.emplace(&node, Color::kActive);
    if (!fresh) {
      if (it->second == Color::kDone) return ok_status();
      return Error::invalid(
          fmt::format("$ref '{}' leads back to itself without descending into the payload", via));
    }
    if (depth > kMaxInPlaceDepth) {
      return Error::invalid("$ref, allOf, anyOf, oneOf and not nest more than 1000 deep");
    }
    const json::object& o = node.get_object();
    Status s;
    if (const json::string* ref = ref_of(o)) {
      // valijson ignores the siblings of $ref, so it is the only edge.
      auto [document, pointer] = split_ref(*ref);
      const json::value* target_doc = &doc;
      if (!document.empty()) {
        auto found = files_.referenced.find(document);
        target_doc = found == files_.referenced.end() ? nullptr : &found->second;
      }
      boost::system::error_code ec;
      const json::value* target = target_doc ? target_doc->find_pointer(pointer, ec) : nullptr;
      if (target && target->is_object()) s = visit(*target, *target_doc, *ref, depth + 1);
    } else {
      for (const char* key : {"allOf", "anyOf", "oneOf"}) {
        const json::value* list = o.if_contains(key);
        if (!list || !list->is_array()) continue;
        for (const auto& item : list->get_array()) {
          if (s.ok() && item.is_object()) s = visit(item, doc, via, depth + 1);
        }
      }
      for (const char* key : {"not", "if", "then", "else"}) {
        const json::value* sub = o.if_contains(key);
        if (s.ok() && sub && sub->is_object()) s = visit(*sub, doc, via, depth + 1);
      }
      const json::value* deps = o.if_contains("dependencies");
      if (deps && deps->is_object()) {
        for (const auto& member : deps->get_object()) {
          if (s.ok() && member.value().is_object()) s = visit(member.value(), doc, via, depth + 1);
        }
      }
    }
    colors_[&node] = Color::kDone;
    return s;
  }

  const SchemaFiles& files_;
  std::unordered_map<const json::value*, Color> colors_;
};

// Visits every subschema reachable from the root, following $refs, to swap
// the keywords valijson would check with std::regex for safe ones
// (constraints.h). Sites are kept as JSON pointers and changed only after
// the walk: changing an object moves its members, so addresses would dangle.
class KeywordSwap {
 public:
  explicit KeywordSwap(SchemaFiles& files) : files_(files) {}

  Status run() {
    Status s = walk(files_.root, &files_.root, "", 0);
    if (!s.ok()) return s;
    for (const auto& [doc, pointer] : sites_) {
      boost::system::error_code ec;
      json::value* node = doc->find_pointer(pointer, ec);
      json::object* o = node ? node->if_object() : nullptr;
      if (!o) continue;
      if (const json::value* p = o->if_contains("pattern"); p && p->is_string()) {
        Status valid = check_pattern(p->get_string());
        if (!valid.ok()) return valid;
        rename(*o, "pattern", kPatternKeyword);
      }
      if (const json::value* f = o->if_contains("format"); f && f->is_string()) {
        rename(*o, "format", kFormatKeyword);
      }
    }
    return ok_status();
  }

 private:
  static void rename(json::object& o, std::string_view from, std::string_view to) {
    json::value v = std::move(o[from]);
    o.erase(from);
    o[to] = std::move(v);
  }

  static std::string child(const std::string& pointer, std::string_view key) {
    std::string out = pointer + '/';
    for (char c : key) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
    return out;
  }

  Status walk(json::value& node, json::value* doc, const std::string& pointer, int depth) {
    json::object* o = node.if_object();
    if (!o || !visited_.insert(&node).second) return ok_status();
    if (depth > kMaxWalkDepth) return Error::invalid("schema nests or chains $refs too deep");
    sites_.emplace_back(doc, pointer);
    if (const json::string* ref = ref_of(*o)) {
      auto [document, target_pointer] = split_ref(*ref);
      json::value* target_doc = doc;
      if (!document.empty()) {
        auto found = files_.referenced.find(document);
        target_doc = found == files_.referenced.end() ? nullptr : &found->second;
      }
      boost::system::error_code ec;
      json::value* target = target_doc ? target_doc->find_pointer(target_pointer, ec) : nullptr;
      if (!target) return ok_status();  // valijson reports the bad reference
      return walk(*target, target_doc, std::string(target_pointer), depth + 1);
    }
    Status s;
    auto visit = [&](json::value& sub, const std::string& at) {
      if (s.ok()) s = walk(sub, doc, at, depth + 1);
    };
    for (const char* key : {"properties", "patternProperties", "definitions", "dependencies"}) {
      json::value* map = o->if_contains(key);
      if (!map || !map->is_object()) continue;
      for (auto& member : map->get_object()) {
        if (std::string_view(key) == "patternProperties") {
          // Property names are still matched by valijson's std::regex.
          files_.pattern_properties = true;
          try {
            std::regex re(std::string(member.key()));
          } catch (const std::regex_error& e) {
            return Error::invalid(
                fmt::format("patternProperties '{}' is not a valid regular expression: {}",
                            member.key(), e.what()));
          }
        }
        visit(member.value(), child(child(pointer, key), member.key()));
      }
    }
    for (const char* key : {"items", "allOf", "anyOf", "oneOf"}) {
      json::value* list = o->if_contains(key);
      if (!list) continue;
      if (list->is_array()) {
        auto& items = list->get_array();
        for (size_t i = 0; i < items.size(); ++i) {
          visit(items[i], child(child(pointer, key), std::to_string(i)));
        }
      } else {
        visit(*list, child(pointer, key));
      }
    }
    for (const char* key : {"additionalItems", "additionalProperties", "contains", "propertyNames",
                            "not", "if", "then", "else"}) {
      if (json::value* sub = o->if_contains(key)) visit(*sub, child(pointer, key));
    }
    return s;
  }

  SchemaFiles& files_;
  std::unordered_set<const json::value*> visited_;
  std::vector<std::pair<json::value*, std::string>> sites_;
};

}  // namespace

Result<SchemaFiles> load_schema_files(const fs::path& path) {
  SchemaFiles files;
  auto root = read_json(path);
  if (!root.ok()) return std::move(root).error();
  files.root = std::move(root).value();
  wrap_top_level_ref(files.root);

  std::vector<const json::value*> pending{&files.root};
  while (!pending.empty()) {
    const json::value* doc = pending.back();
    pending.pop_back();
    std::vector<std::string> wanted;
    for_each_object(*doc, [&](const json::value&, const json::object& o) {
      const json::string* ref = ref_of(o);
      if (ref && !split_ref(*ref).first.empty()) wanted.emplace_back(split_ref(*ref).first);
    });
    for (const auto& document : wanted) {
      if (files.referenced.count(document)) continue;
      std::string_view name = document;
      if (name.starts_with("file://")) name.remove_prefix(7);
      if (name.find(':') != std::string_view::npos) {
        // A schema is loaded from local files only: no network at startup.
        return Error::invalid(fmt::format("schema file {}: remote reference '{}' is not fetched",
                                          path.string(), document));
      }
      if (files.referenced.size() == kMaxDocuments) {
        return Error::invalid(
            fmt::format("schema file {} references more than 64 files", path.string()));
      }
      fs::path target(name);
      if (target.is_relative()) target = path.parent_path() / target;
      auto loaded = read_json(target);
      if (!loaded.ok()) {
        return loaded.error().wrap(
            fmt::format("schema file {}: $ref '{}'", path.string(), document));
      }
      wrap_top_level_ref(*loaded);
      auto [it, added] = files.referenced.emplace(document, std::move(loaded).value());
      pending.push_back(&it->second);
    }
  }

  Status acyclic = RecursionCheck(files).run();
  if (!acyclic.ok()) return acyclic.error().wrap("schema file " + path.string());
  Status swapped = KeywordSwap(files).run();
  if (!swapped.ok()) return swapped.error().wrap("schema file " + path.string());
  return files;
}

}  // namespace junction::jsonschema
