#include "connectors/common/avro_json.h"

namespace junction::connectors {

struct AvroSchema::Impl {};

AvroSchema::AvroSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AvroSchema::~AvroSchema() = default;

Result<std::shared_ptr<const AvroSchema>> AvroSchema::parse(std::string_view) {
  return Error::invalid("Avro is being written this session");
}
Result<std::string> AvroSchema::encode(std::string_view) const {
  return Error::permanent("Avro is being written this session");
}
Result<std::string> AvroSchema::decode(std::string_view) const {
  return Error::permanent("Avro is being written this session");
}

}  // namespace junction::connectors
