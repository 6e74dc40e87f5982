#pragma once

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace valijson {
class Schema;
class Validator;
}  // namespace valijson

namespace junction::jsonschema {

// How documents to be validated are parsed: nested at most kMaxJsonDepth
// deep, since validation recurses once per level.
boost::json::parse_options parse_options();

// One way a document fails its schema.
struct Violation {
  std::string pointer;  // RFC 6901 JSON pointer into the document; "" is the root
  std::string message;  // valijson's reason, e.g. "Value type not permitted by 'type' constraint."
};

struct Report {
  std::vector<Violation> violations;  // the first `max_listed` reasons, in document order
  size_t total = 0;                   // all reasons found; more than listed when cut short
  bool ok() const { return total == 0; }
};

// A JSON Schema (draft-04, draft-06 or draft-07, chosen by its `$schema`;
// draft-07 when absent) compiled from a file and the local files its `$ref`s
// name. Immutable once loaded: one instance may serve every thread, each
// through its own Validator.
class Schema {
 public:
  // Error::invalid naming the file: unreadable, not JSON, not a usable
  // schema, a `$ref` that cannot be resolved or loops without descending
  // into the document, a remote `$ref` (never fetched), a bad pattern, or an
  // unsupported draft.
  static Result<std::shared_ptr<const Schema>> load(const std::filesystem::path& path);

  ~Schema();
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

 private:
  friend class Validator;
  Schema(std::unique_ptr<valijson::Schema> compiled, bool pattern_properties);

  std::unique_ptr<valijson::Schema> compiled_;
  // valijson matches property names against patternProperties with
  // std::regex, which recurses once per character: see Validator.
  bool pattern_properties_;
};

// Checks documents against one Schema. Not thread-safe (it caches the
// compiled patternProperties expressions): one per thread.
class Validator {
 public:
  // Property names longer than this are not matched against patternProperties.
  static constexpr size_t kMaxPatternMatchedName = 1024;

  explicit Validator(std::shared_ptr<const Schema> schema);
  ~Validator();
  Validator(Validator&&) noexcept;
  Validator& operator=(Validator&&) noexcept;

  // The violations of `doc`. valijson also reports each subschema that
  // encloses a failure ("Failed to validate item #0"); those repeat an inner
  // reason and are listed only when there is nothing else.
  // Error::invalid: the schema has patternProperties and `doc` a property
  // name over kMaxPatternMatchedName bytes, which could not be checked
  // safely. Error::permanent: valijson failed (it should not).
  Result<Report> validate(const boost::json::value& doc, size_t max_listed);

 private:
  std::shared_ptr<const Schema> schema_;
  std::unique_ptr<valijson::Validator> validator_;
};

}  // namespace junction::jsonschema
