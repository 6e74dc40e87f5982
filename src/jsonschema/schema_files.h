#pragma once

#include <boost/json/value.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "core/error.h"

namespace junction::jsonschema {

// Payloads and schemas nest at most this deep; Boost.JSON's default (32) is
// too tight for real documents, and validation recurses once per level.
constexpr size_t kMaxJsonDepth = 256;

// A JSON Schema file and every file its `$ref`s name, read up front so that a
// bad reference is an error when the schema is loaded, never a crash later.
struct SchemaFiles {
  boost::json::value root;
  // Referenced documents by the document part of the `$ref` as written
  // ("common.json" of "common.json#/definitions/money"); files are resolved
  // relative to the root schema's directory.
  std::map<std::string, boost::json::value, std::less<>> referenced;
  // Whether any schema uses patternProperties: valijson matches property
  // names against them with std::regex, so names must be kept short.
  bool pattern_properties = false;
};

// Reads `path` and the files it references, and rejects what valijson would
// recurse on forever: a `$ref` loop that never descends into the payload
// (`{"$ref": "#"}`, `{"allOf": [{"$ref": "#"}]}`). Remote references are not
// fetched. `pattern` and `format` are renamed to the keywords of
// constraints.h. Errors are Error::invalid naming the file.
Result<SchemaFiles> load_schema_files(const std::filesystem::path& path);

}  // namespace junction::jsonschema
