#include "components/processors/validate/validate.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <memory>

#include "jsonschema/schema.h"

namespace junction::components {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr size_t kMaxListedErrors = 5;

class ValidateProcessor final : public flow::Processor {
 public:
  ValidateProcessor(std::shared_ptr<const jsonschema::Schema> schema, std::string name)
      : validator_(std::move(schema)), name_(std::move(name)) {}

  Status process(Message& msg, MessageBatch& out) override {
    boost::system::error_code ec;
    json::value doc = json::parse(msg.payload.view(), ec, {}, jsonschema::parse_options());
    if (ec) return Error::invalid("payload is not JSON: " + ec.message());
    auto report = validator_.validate(doc, kMaxListedErrors);
    if (!report.ok()) {
      return Error(report.error().cls(),
                   fmt::format("payload cannot be checked against schema {}: {}", name_,
                               report.error().message()));
    }
    if (report->ok()) {
      out.push_back(std::move(msg));
      return ok_status();
    }
    return Error::invalid(describe(*report));
  }

 private:
  std::string describe(const jsonschema::Report& report) const {
    std::string text = fmt::format("payload does not match schema {}:", name_);
    for (size_t i = 0; i < report.violations.size(); ++i) {
      const auto& v = report.violations[i];
      // An empty pointer is correct for the root but unreadable in a message.
      text += fmt::format("{} {}: {}", i ? ";" : "", v.pointer.empty() ? "(root)" : v.pointer,
                          v.message);
    }
    if (report.total > report.violations.size()) {
      text += fmt::format(" (and {} more)", report.total - report.violations.size());
    }
    return text;
  }

  jsonschema::Validator validator_;
  std::string name_;
};

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
    auto schema = jsonschema::Schema::load(path);
    if (!schema.ok()) return std::move(schema).error();
    return std::unique_ptr<flow::Processor>(
        std::make_unique<ValidateProcessor>(std::move(schema).value(), c.str("schema")));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
