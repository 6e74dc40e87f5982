#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer.h"
#include "core/error.h"
#include "flow/registry.h"
#include "spec/schema.h"

namespace junction::connectors {

class AvroSchema;

// How a connector turns the bytes of its system into a message payload and
// back, chosen by the component's `format` (and `schema`) fields:
//   json  the bytes are JSON, checked on the way in and out
//   raw   the bytes as they are
//   avro  binary Avro per the schema file; the flow sees and writes JSON
// A decode or encode failure is `invalid`: the message is not retried but
// dead-lettered (or rejected upstream) with the reason.
class Codec {
 public:
  enum class Format { kJson, kRaw, kAvro };

  // The `format` and `schema` fields, to append to a connector's schema.
  // `avro`: whether this connector offers Avro (Kafka and NATS do).
  static std::vector<spec::Field> fields(bool avro, std::string_view default_format = "json");
  // Reads those fields; reads and parses the schema file for avro.
  static Result<Codec> from_config(const spec::Config& c, const flow::ComponentContext& ctx);

  static Codec json();
  static Codec raw();

  // System bytes -> message payload.
  Result<Buffer> decode(std::string_view wire) const;
  // Message payload -> system bytes.
  Result<std::string> encode(std::string_view payload) const;

  Format format() const { return format_; }

 private:
  Format format_ = Format::kJson;
  std::shared_ptr<const AvroSchema> avro_;
};

}  // namespace junction::connectors
