#include "connectors/amqp/properties.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <utility>

namespace junction::connectors::amqp {
namespace {

std::string_view view(amqp_bytes_t b) {
  return {static_cast<const char*>(b.bytes), b.len};
}

amqp_bytes_t bytes(const std::string& s) {
  return {s.size(), const_cast<char*>(s.data())};
}

// A scalar field value as text; nullopt for tables, arrays and void.
std::optional<std::string> field_text(const amqp_field_value_t& v) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_UTF8:
    case AMQP_FIELD_KIND_BYTES:
      return std::string(view(v.value.bytes));
    case AMQP_FIELD_KIND_BOOLEAN:
      return v.value.boolean ? "true" : "false";
    case AMQP_FIELD_KIND_I8:
      return std::to_string(v.value.i8);
    case AMQP_FIELD_KIND_U8:
      return std::to_string(v.value.u8);
    case AMQP_FIELD_KIND_I16:
      return std::to_string(v.value.i16);
    case AMQP_FIELD_KIND_U16:
      return std::to_string(v.value.u16);
    case AMQP_FIELD_KIND_I32:
      return std::to_string(v.value.i32);
    case AMQP_FIELD_KIND_U32:
      return std::to_string(v.value.u32);
    case AMQP_FIELD_KIND_I64:
      return std::to_string(v.value.i64);
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP:
      return std::to_string(v.value.u64);
    case AMQP_FIELD_KIND_F32:
      return fmt::format("{}", v.value.f32);
    case AMQP_FIELD_KIND_F64:
      return fmt::format("{}", v.value.f64);
    default:
      return std::nullopt;
  }
}

struct NamedProperty {
  amqp_flags_t flag;
  amqp_bytes_t amqp_basic_properties_t::*field;
  std::string_view header;
};

// The string properties that travel as headers of the same name.
constexpr std::array<NamedProperty, 6> kNamed = {{
    {AMQP_BASIC_CONTENT_TYPE_FLAG, &amqp_basic_properties_t::content_type, "content-type"},
    {AMQP_BASIC_CONTENT_ENCODING_FLAG, &amqp_basic_properties_t::content_encoding,
     "content-encoding"},
    {AMQP_BASIC_CORRELATION_ID_FLAG, &amqp_basic_properties_t::correlation_id, "correlation-id"},
    {AMQP_BASIC_REPLY_TO_FLAG, &amqp_basic_properties_t::reply_to, "reply-to"},
    {AMQP_BASIC_TYPE_FLAG, &amqp_basic_properties_t::type, "type"},
    {AMQP_BASIC_APP_ID_FLAG, &amqp_basic_properties_t::app_id, "app-id"},
}};

bool is_input_header(std::string_view name) {
  return iequals(name, kRoutingKeyHeader) || iequals(name, kExchangeHeader) ||
         iequals(name, kRedeliveredHeader);
}

}  // namespace

void apply_properties(const amqp_basic_properties_t& p, Message& m) {
  for (const auto& n : kNamed) {
    if (p._flags & n.flag) m.headers.set(n.header, view(p.*n.field));
  }
  if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) m.id = std::string(view(p.message_id));
  if (p._flags & AMQP_BASIC_TIMESTAMP_FLAG) {
    m.timestamp_ms = static_cast<int64_t>(p.timestamp) * 1000;
  }
  if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < p.headers.num_entries; ++i) {
      const amqp_table_entry_t& e = p.headers.entries[i];
      if (auto text = field_text(e.value)) m.headers.add(view(e.key), *text);
    }
  }
}

void add_delivery_headers(std::string_view exchange, std::string_view routing_key, bool redelivered,
                          Message& m) {
  m.headers.set(kRoutingKeyHeader, routing_key);
  m.headers.set(kExchangeHeader, exchange);
  if (redelivered) m.headers.set(kRedeliveredHeader, "true");
}

OutgoingProperties::OutgoingProperties(const Message& m, std::string_view default_content_type,
                                       bool persistent)
    : message_id_(m.id), timestamp_ms_(m.timestamp_ms), persistent_(persistent) {
  content_type_ = std::string(m.headers.get("content-type").value_or(default_content_type));
  if (message_id_.empty()) message_id_ = new_message_id();
  for (const auto& [name, value] : m.headers) {
    if (iequals(name, "content-type") || is_input_header(name)) continue;
    headers_.emplace_back(name, value);
  }
}

const amqp_basic_properties_t& OutgoingProperties::get() {
  props_ = {};
  props_._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
  props_.delivery_mode = persistent_ ? 2 : 1;
  props_.message_id = bytes(message_id_);
  if (!content_type_.empty()) {
    props_._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
    props_.content_type = bytes(content_type_);
  }
  if (timestamp_ms_ > 0) {
    props_._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
    props_.timestamp = static_cast<uint64_t>(timestamp_ms_ / 1000);
  }
  if (!headers_.empty()) {
    entries_.clear();
    for (const auto& [name, value] : headers_) {
      amqp_table_entry_t e{};
      e.key = bytes(name);
      e.value.kind = AMQP_FIELD_KIND_UTF8;
      e.value.value.bytes = bytes(value);
      entries_.push_back(e);
    }
    props_._flags |= AMQP_BASIC_HEADERS_FLAG;
    props_.headers.num_entries = static_cast<int>(entries_.size());
    props_.headers.entries = entries_.data();
  }
  return props_;
}

}  // namespace junction::connectors::amqp
