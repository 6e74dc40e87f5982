#include "jsonschema/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

#include "jsonschema/constraints.h"
#include "jsonschema/schema_files.h"
#include "jsonschema/valijson.h"

namespace junction::jsonschema {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// valijson implements drafts 3, 4 and 7 (draft 6 is a subset of 7). Newer
// drafts changed keyword semantics ($ref siblings, items/prefixItems), so
// validating them as draft 7 would quietly accept or reject the wrong things.
Result<valijson::SchemaParser::Version> draft_of(const json::value& doc) {
  const auto* obj = doc.if_object();
  const json::value* declared = obj ? obj->if_contains("$schema") : nullptr;
  if (!declared || !declared->is_string()) return valijson::SchemaParser::kDraft7;
  std::string_view uri = declared->get_string();
  if (uri.find("draft-03") != std::string_view::npos) return valijson::SchemaParser::kDraft3;
  if (uri.find("draft-04") != std::string_view::npos) return valijson::SchemaParser::kDraft4;
  if (uri.find("draft-06") != std::string_view::npos ||
      uri.find("draft-07") != std::string_view::npos) {
    return valijson::SchemaParser::kDraft7;
  }
  return Error::invalid(fmt::format(
      "$schema '{}' is not supported; use JSON Schema draft-04, draft-06 or draft-07", uri));
}

// valijson reports a location as {"<root>", "[name]", "[3]", ...}.
std::string json_pointer(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& part : context) {
    if (part == "<root>") continue;
    std::string_view token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    out += '/';
    for (char c : token) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out;
}

size_t longest_name(const json::value& doc) {
  size_t longest = 0;
  std::vector<const json::value*> stack{&doc};
  while (!stack.empty()) {
    const json::value* v = stack.back();
    stack.pop_back();
    if (const auto* o = v->if_object()) {
      for (const auto& member : *o) {
        longest = std::max(longest, member.key().size());
        stack.push_back(&member.value());
      }
    } else if (const auto* a = v->if_array()) {
      for (const auto& item : *a) stack.push_back(&item);
    }
  }
  return longest;
}

bool is_wrapper(std::string_view description) {
  return description.starts_with("Failed to validate item #") ||
         description.starts_with("Failed to validate against schema associated with") ||
         description.starts_with("Failed to validate against additional properties schema");
}

}  // namespace

json::parse_options parse_options() {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  return options;
}

Result<std::shared_ptr<const Schema>> Schema::load(const fs::path& path) {
  auto files = load_schema_files(path);
  if (!files.ok()) return std::move(files).error();
  auto draft = draft_of(files->root);
  if (!draft.ok()) return draft.error().wrap("schema file " + path.string());

  // Every referenced file was read (and checked) above; valijson frees what
  // this returns, so it gets a copy.
  std::string fetch_error;
  auto fetch = [&](const std::string& uri) -> const json::value* {
    auto found = files->referenced.find(uri);
    if (found == files->referenced.end()) {
      fetch_error = fmt::format("'{}' was not found", uri);
      return nullptr;
    }
    return new json::value(found->second);
  };
  auto free_doc = [](const json::value* d) { delete d; };

  auto compiled = std::make_unique<valijson::Schema>();
  try {
    valijson::SchemaParser parser(*draft);
    add_safe_constraints(parser);
    valijson::adapters::BoostJsonAdapter adapter(files->root);
    parser.populateSchema(adapter, *compiled, fetch, free_doc);
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (!fetch_error.empty()) why += " (" + fetch_error + ")";
    return Error::invalid(
        fmt::format("schema file {} is not a usable JSON Schema: {}", path.string(), why));
  }
  return std::shared_ptr<const Schema>(new Schema(std::move(compiled), files->pattern_properties));
}

Schema::Schema(std::unique_ptr<valijson::Schema> compiled, bool pattern_properties)
    : compiled_(std::move(compiled)), pattern_properties_(pattern_properties) {}

Schema::~Schema() = default;

Validator::Validator(std::shared_ptr<const Schema> schema)
    : schema_(std::move(schema)), validator_(std::make_unique<valijson::Validator>()) {}

Validator::~Validator() = default;
Validator::Validator(Validator&&) noexcept = default;
Validator& Validator::operator=(Validator&&) noexcept = default;

Result<Report> Validator::validate(const json::value& doc, size_t max_listed) {
  if (schema_->pattern_properties_) {
    size_t longest = longest_name(doc);
    if (longest > kMaxPatternMatchedName) {
      return Error::invalid(
          fmt::format("a property name of {} bytes is longer than the {} bytes matched against "
                      "patternProperties",
                      longest, kMaxPatternMatchedName));
    }
  }
  valijson::ValidationResults results;
  try {
    valijson::adapters::BoostJsonAdapter adapter(doc);
    if (validator_->validate(*schema_->compiled_, adapter, &results)) return Report{};
  } catch (const std::exception& e) {
    // Patterns were compiled when the schema was loaded; this is a last
    // resort, so that nothing valijson throws escapes.
    return Error::permanent(e.what());
  }
  std::vector<const valijson::ValidationResults::Error*> reasons;
  for (const auto& error : results) {
    if (!is_wrapper(error.description)) reasons.push_back(&error);
  }
  if (reasons.empty()) {
    for (const auto& error : results) reasons.push_back(&error);
  }
  Report report;
  if (reasons.empty()) {
    // A failure is always explained; should valijson not, the verdict still stands.
    report.total = 1;
    if (max_listed > 0)
      report.violations.push_back({"", "The document does not match the schema."});
    return report;
  }
  report.total = reasons.size();
  size_t listed = std::min(reasons.size(), max_listed);
  for (size_t i = 0; i < listed; ++i) {
    report.violations.push_back({json_pointer(reasons[i]->context), reasons[i]->description});
  }
  return report;
}

}  // namespace junction::jsonschema
