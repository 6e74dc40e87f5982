#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::connectors {

// An Avro schema (libavro) and the mapping between Avro binary and plain
// JSON: records are objects, unions are their branch's value (no Avro-JSON
// {"type": value} wrapper), bytes and fixed are strings of code points
// 0-255, enums are their symbol. Encoding checks the JSON against the schema
// and names the first field that does not fit. Thread-safe.
class AvroSchema {
 public:
  static Result<std::shared_ptr<const AvroSchema>> parse(std::string_view schema_json);
  ~AvroSchema();
  AvroSchema(const AvroSchema&) = delete;
  AvroSchema& operator=(const AvroSchema&) = delete;

  // JSON text -> Avro binary.
  Result<std::string> encode(std::string_view json) const;
  // Avro binary -> JSON text.
  Result<std::string> decode(std::string_view binary) const;

 private:
  struct Impl;
  explicit AvroSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace junction::connectors
