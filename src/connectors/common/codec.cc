#include "connectors/common/codec.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>

#include "connectors/common/avro_json.h"

namespace junction::connectors {

std::vector<spec::Field> Codec::fields(bool avro, std::string_view default_format) {
  std::vector<spec::Field> f;
  if (avro) {
    f.push_back({"format",
                 spec::FieldType::kString,
                 std::string(default_format),
                 "Bytes on the wire: json (checked), raw (as is) or avro (binary, per `schema`; "
                 "JSON inside the flow).",
                 false,
                 {"json", "raw", "avro"}});
    f.push_back({"schema", spec::FieldType::kString, "",
                 "Avro schema file (.avsc) for format avro, relative to the spec."});
  } else {
    f.push_back({"format",
                 spec::FieldType::kString,
                 std::string(default_format),
                 "Bytes on the wire: json (checked) or raw (as is).",
                 false,
                 {"json", "raw"}});
  }
  return f;
}

Result<Codec> Codec::from_config(const spec::Config& c, const flow::ComponentContext& ctx) {
  Codec codec;
  const std::string& format = c.str("format");
  if (format == "raw") {
    codec.format_ = Format::kRaw;
  } else if (format == "avro") {
    codec.format_ = Format::kAvro;
    if (!c.has("schema")) return Error::invalid("format avro needs `schema`: an .avsc file");
    auto path = ctx.resolve(c.str("schema"));
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::invalid(fmt::format("cannot read Avro schema {}", path.string()));
    std::stringstream text;
    text << in.rdbuf();
    auto schema = AvroSchema::parse(text.str());
    if (!schema) return schema.error().wrap(path.string());
    codec.avro_ = std::move(*schema);
  }
  return codec;
}

Codec Codec::json() {
  return Codec{};
}

Codec Codec::raw() {
  Codec c;
  c.format_ = Format::kRaw;
  return c;
}

Result<Buffer> Codec::decode(std::string_view wire) const {
  switch (format_) {
    case Format::kRaw:
      return Buffer::copy_of(wire);
    case Format::kJson: {
      boost::system::error_code ec;
      (void)boost::json::parse(wire, ec);
      if (ec) return Error::invalid("payload is not JSON: " + ec.message());
      return Buffer::copy_of(wire);
    }
    case Format::kAvro: {
      auto json = avro_->decode(wire);
      if (!json) return json.error();
      return Buffer(std::move(*json));
    }
  }
  return Error::permanent("unknown format");
}

Result<std::string> Codec::encode(std::string_view payload) const {
  switch (format_) {
    case Format::kRaw:
      return std::string(payload);
    case Format::kJson: {
      boost::system::error_code ec;
      (void)boost::json::parse(payload, ec);
      if (ec) return Error::invalid("payload is not JSON: " + ec.message());
      return std::string(payload);
    }
    case Format::kAvro:
      return avro_->encode(payload);
  }
  return Error::permanent("unknown format");
}

}  // namespace junction::connectors
