#include "components/processors/validate/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <memory>
#include <stdexcept>

#include "components/processors/validate/constraints.h"
#include "components/processors/validate/schema_files.h"
#include "components/processors/validate/valijson.h"

namespace junction::components {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr size_t kMaxListedErrors = 5;

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
  // An empty pointer is correct for the root but unreadable in a message.
  return out.empty() ? "(root)" : out;
}

struct CompiledSchema {
  std::unique_ptr<valijson::Schema> schema;
  bool pattern_properties = false;
};

// valijson matches property names against patternProperties with std::regex,
// whose matcher recurses once per character: long names could overflow the
// stack. Names up to this size are safe with any pattern a schema has.
constexpr size_t kMaxPatternMatchedName = 1024;

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

class ValidateProcessor final : public flow::Processor {
 public:
  ValidateProcessor(CompiledSchema compiled, std::string name)
      : schema_(std::move(compiled.schema)),
        pattern_properties_(compiled.pattern_properties),
        name_(std::move(name)) {}

  Status process(Message& msg, MessageBatch& out) override {
    json::parse_options options;
    options.max_depth = validate_internal::kMaxJsonDepth;
    boost::system::error_code ec;
    json::value doc = json::parse(msg.payload.view(), ec, {}, options);
    if (ec) return Error::invalid("payload is not JSON: " + ec.message());
    if (pattern_properties_) {
      size_t longest = longest_name(doc);
      if (longest > kMaxPatternMatchedName) {
        return Error::invalid(
            fmt::format("payload has a property name of {} bytes; schema {} matches names against "
                        "patternProperties only up to {} bytes",
                        longest, name_, kMaxPatternMatchedName));
      }
    }

    valijson::ValidationResults results;
    try {
      valijson::adapters::BoostJsonAdapter adapter(doc);
      if (validator_.validate(*schema_, adapter, &results)) {
        out.push_back(std::move(msg));
        return ok_status();
      }
    } catch (const std::exception& e) {
      // Patterns were compiled when the schema was loaded; this is a
      // last resort, so that nothing valijson throws escapes.
      return Error::permanent(fmt::format("schema {}: {}", name_, e.what()));
    }
    return Error::invalid(describe(results));
  }

 private:
  std::string describe(const valijson::ValidationResults& results) const {
    // valijson reports a failed subschema and then each enclosing one ("Failed
    // to validate item #0"); those wrappers repeat the inner reason, so they
    // are left out unless nothing else was reported.
    std::vector<const valijson::ValidationResults::Error*> reasons;
    for (const auto& error : results) {
      if (!is_wrapper(error.description)) reasons.push_back(&error);
    }
    if (reasons.empty()) {
      for (const auto& error : results) reasons.push_back(&error);
    }
    std::string text = fmt::format("payload does not match schema {}:", name_);
    size_t listed = std::min(reasons.size(), kMaxListedErrors);
    for (size_t i = 0; i < listed; ++i) {
      text += fmt::format("{} {}: {}", i ? ";" : "", json_pointer(reasons[i]->context),
                          reasons[i]->description);
    }
    if (reasons.size() > listed) text += fmt::format(" (and {} more)", reasons.size() - listed);
    return text;
  }

  static bool is_wrapper(std::string_view description) {
    return description.starts_with("Failed to validate item #") ||
           description.starts_with("Failed to validate against schema associated with") ||
           description.starts_with("Failed to validate against additional properties schema");
  }

  std::unique_ptr<valijson::Schema> schema_;
  bool pattern_properties_;
  std::string name_;
  valijson::Validator validator_;  // caches compiled patternProperties
};

Result<CompiledSchema> compile_schema(const fs::path& path) {
  auto files = validate_internal::load_schema_files(path);
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

  auto schema = std::make_unique<valijson::Schema>();
  try {
    valijson::SchemaParser parser(*draft);
    validate_internal::add_safe_constraints(parser);
    valijson::adapters::BoostJsonAdapter adapter(files->root);
    parser.populateSchema(adapter, *schema, fetch, free_doc);
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (!fetch_error.empty()) why += " (" + fetch_error + ")";
    return Error::invalid(
        fmt::format("schema file {} is not a usable JSON Schema: {}", path.string(), why));
  }
  return CompiledSchema{std::move(schema), files->pattern_properties};
}

}  // namespace

void register_validate_processor(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "validate";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Checks each JSON payload against a JSON Schema; a mismatch is an invalid error.";
  info.doc =
      "The schema (draft-04, draft-06 or draft-07, chosen by its `$schema`; draft-07 when absent) "
      "is read and compiled once when the flow is built. A valid message passes unchanged; a "
      "payload that is not JSON, or that does not match, fails with class `invalid` (dead-lettered "
      "at once), naming up to 5 problems as `<json pointer>: <reason>`. A `$ref` to another file "
      "is resolved relative to the schema file; remote references are not fetched. `format` "
      "checks date, time and date-time (RFC 3339) and ignores other formats. With "
      "`patternProperties`, property names longer than 1 KiB are rejected.\n"
      "Example: `- validate: schemas/order.json`.";
  info.schema.primary = "schema";
  info.schema.fields = {
      {"schema", spec::FieldType::kString, "", "Path to the JSON Schema file.", true},
  };
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    if (c.str("schema").empty()) return Error::invalid("schema: a schema file is required");
    fs::path path = ctx.resolve(c.str("schema"));
    auto schema = compile_schema(path);
    if (!schema.ok()) return std::move(schema).error();
    return std::unique_ptr<flow::Processor>(
        std::make_unique<ValidateProcessor>(std::move(schema).value(), c.str("schema")));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
