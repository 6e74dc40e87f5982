#include "connectors/common/avro_json.h"

#include <avro.h>
#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <unordered_set>

namespace junction::connectors {
namespace json = boost::json;

namespace {

// libavro allocates a string or bytes value at the length the input claims
// before it reads the bytes, so seven hostile bytes can ask for a terabyte.
// No Avro value Junction handles comes near this bound (messages are bounded
// far below it), so larger requests fail as a decode error instead.
constexpr size_t kMaxAvroAllocation = size_t{256} << 20;

// libavro 1.11 leaks the buffer of a string or bytes value that a truncated
// input cuts short (read_string allocates it, then returns on the failed read
// without freeing it). While a read runs, this thread's allocations are
// recorded, so that after a failed read whatever outlives the released value
// is freed: a stream of malformed messages must not grow the heap.
thread_local std::unordered_set<void*>* tracked_allocations = nullptr;

void* bounded_allocator(void* /*user_data*/, void* ptr, size_t /*old_size*/, size_t new_size) {
  if (new_size == 0) {
    if (tracked_allocations && ptr) tracked_allocations->erase(ptr);
    std::free(ptr);
    return nullptr;
  }
  if (new_size > kMaxAvroAllocation) return nullptr;
  void* out = std::realloc(ptr, new_size);
  if (tracked_allocations && out) {
    if (ptr) tracked_allocations->erase(ptr);
    tracked_allocations->insert(out);
  }
  return out;
}

class LeakGuard {
 public:
  LeakGuard() { tracked_allocations = &live_; }
  ~LeakGuard() { tracked_allocations = nullptr; }
  LeakGuard(const LeakGuard&) = delete;
  LeakGuard& operator=(const LeakGuard&) = delete;

  // The read succeeded: what it allocated belongs to the value.
  void keep() { tracked_allocations = nullptr; }
  // The read failed and the value is released: the rest was leaked.
  void free_leftovers() {
    tracked_allocations = nullptr;
    for (void* p : live_) std::free(p);
    live_.clear();
  }

 private:
  std::unordered_set<void*> live_;
};

void install_bounded_allocator() {
  static std::once_flag once;
  std::call_once(once, [] { avro_set_allocator(bounded_allocator, nullptr); });
}

std::string avro_error() {
  const char* e = avro_strerror();
  return e && *e ? e : "unknown libavro error";
}

// Owns one generic value for the length of an encode or decode.
class ScopedValue {
 public:
  explicit ScopedValue(avro_value_iface_t* iface) {
    ok_ = avro_generic_value_new(iface, &value_) == 0;
  }
  ~ScopedValue() { reset(); }
  void reset() {
    if (ok_) avro_value_decref(&value_);
    ok_ = false;
  }
  ScopedValue(const ScopedValue&) = delete;
  ScopedValue& operator=(const ScopedValue&) = delete;
  bool ok() const { return ok_; }
  avro_value_t* get() { return &value_; }

 private:
  avro_value_t value_{};
  bool ok_ = false;
};

avro_schema_t resolve(avro_schema_t s) {
  while (s && avro_typeof(s) == AVRO_LINK) s = avro_schema_link_target(s);
  return s;
}

// bytes and fixed travel through JSON as strings of code points 0-255, as the
// Avro JSON encoding does.
json::string bytes_to_json(const void* data, size_t size) {
  json::string out;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    if (p[i] < 0x80) {
      out.push_back(static_cast<char>(p[i]));
    } else {
      out.push_back(static_cast<char>(0xC0 | (p[i] >> 6)));
      out.push_back(static_cast<char>(0x80 | (p[i] & 0x3F)));
    }
  }
  return out;
}

Result<std::string> json_to_bytes(const json::string& s, const std::string& path) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size()) {
      auto next = static_cast<unsigned char>(s[++i]);
      out.push_back(static_cast<char>(((c & 0x03) << 6) | (next & 0x3F)));
    } else {
      return Error::invalid(fmt::format("{}: bytes must be code points 0-255", path));
    }
  }
  return out;
}

// ---- Avro -> JSON --------------------------------------------------------

Result<json::value> to_json(avro_value_t* v) {
  switch (avro_value_get_type(v)) {
    case AVRO_NULL:
      return json::value(nullptr);
    case AVRO_BOOLEAN: {
      int b = 0;
      avro_value_get_boolean(v, &b);
      return json::value(b != 0);
    }
    case AVRO_INT32: {
      int32_t i = 0;
      avro_value_get_int(v, &i);
      return json::value(static_cast<int64_t>(i));
    }
    case AVRO_INT64: {
      int64_t i = 0;
      avro_value_get_long(v, &i);
      return json::value(i);
    }
    case AVRO_FLOAT: {
      float f = 0;
      avro_value_get_float(v, &f);
      return json::value(static_cast<double>(f));
    }
    case AVRO_DOUBLE: {
      double d = 0;
      avro_value_get_double(v, &d);
      return json::value(d);
    }
    case AVRO_STRING: {
      const char* s = nullptr;
      size_t size = 0;  // includes the terminating NUL
      avro_value_get_string(v, &s, &size);
      return json::value(json::string(s, size ? size - 1 : 0));
    }
    case AVRO_BYTES: {
      const void* b = nullptr;
      size_t size = 0;
      avro_value_get_bytes(v, &b, &size);
      return json::value(bytes_to_json(b, size));
    }
    case AVRO_FIXED: {
      const void* b = nullptr;
      size_t size = 0;
      avro_value_get_fixed(v, &b, &size);
      return json::value(bytes_to_json(b, size));
    }
    case AVRO_ENUM: {
      int symbol = 0;
      avro_value_get_enum(v, &symbol);
      const char* name = avro_schema_enum_get(avro_value_get_schema(v), symbol);
      if (!name) return Error::invalid(fmt::format("enum symbol {} out of range", symbol));
      return json::value(json::string(name));
    }
    case AVRO_RECORD:
    case AVRO_MAP: {
      size_t n = 0;
      avro_value_get_size(v, &n);
      json::object obj;
      obj.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        avro_value_t child;
        const char* name = nullptr;
        avro_value_get_by_index(v, i, &child, &name);
        auto j = to_json(&child);
        if (!j) return j.error();
        obj.emplace(name ? name : "", std::move(*j));
      }
      return json::value(std::move(obj));
    }
    case AVRO_ARRAY: {
      size_t n = 0;
      avro_value_get_size(v, &n);
      json::array arr;
      arr.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        avro_value_t child;
        avro_value_get_by_index(v, i, &child, nullptr);
        auto j = to_json(&child);
        if (!j) return j.error();
        arr.push_back(std::move(*j));
      }
      return json::value(std::move(arr));
    }
    case AVRO_UNION: {
      avro_value_t branch;
      if (avro_value_get_current_branch(v, &branch) != 0) return json::value(nullptr);
      return to_json(&branch);
    }
    default:
      return Error::invalid("unsupported Avro type");
  }
}

// ---- JSON -> Avro --------------------------------------------------------

bool fits(avro_schema_t s, const json::value& j) {
  s = resolve(s);
  switch (avro_typeof(s)) {
    case AVRO_NULL:
      return j.is_null();
    case AVRO_BOOLEAN:
      return j.is_bool();
    case AVRO_INT32:
    case AVRO_INT64:
      return j.is_int64() || j.is_uint64();
    case AVRO_FLOAT:
    case AVRO_DOUBLE:
      return j.is_number();
    case AVRO_STRING:
    case AVRO_BYTES:
    case AVRO_FIXED:
      return j.is_string();
    case AVRO_ENUM:
      return j.is_string() &&
             avro_schema_enum_get_by_name(s, std::string(j.get_string()).c_str()) >= 0;
    case AVRO_RECORD:
    case AVRO_MAP:
      return j.is_object();
    case AVRO_ARRAY:
      return j.is_array();
    case AVRO_UNION:
      for (size_t i = 0; i < avro_schema_union_size(s); ++i) {
        if (fits(avro_schema_union_branch(s, static_cast<int>(i)), j)) return true;
      }
      return false;
    default:
      return false;
  }
}

Status from_json(avro_value_t* v, const json::value& j, const std::string& path);

Status set_number(avro_value_t* v, const json::value& j, const std::string& path) {
  switch (avro_value_get_type(v)) {
    case AVRO_INT32: {
      if (!j.is_int64() || j.get_int64() < std::numeric_limits<int32_t>::min() ||
          j.get_int64() > std::numeric_limits<int32_t>::max()) {
        return Error::invalid(fmt::format("{}: expected an int (32-bit)", path));
      }
      avro_value_set_int(v, static_cast<int32_t>(j.get_int64()));
      return ok_status();
    }
    case AVRO_INT64:
      if (!j.is_int64()) return Error::invalid(fmt::format("{}: expected a long", path));
      avro_value_set_long(v, j.get_int64());
      return ok_status();
    case AVRO_FLOAT:
      if (!j.is_number()) return Error::invalid(fmt::format("{}: expected a float", path));
      avro_value_set_float(v, static_cast<float>(j.to_number<double>()));
      return ok_status();
    default:
      if (!j.is_number()) return Error::invalid(fmt::format("{}: expected a double", path));
      avro_value_set_double(v, j.to_number<double>());
      return ok_status();
  }
}

Status set_record(avro_value_t* v, const json::value& j, const std::string& path) {
  if (!j.is_object()) return Error::invalid(fmt::format("{}: expected an object", path));
  const json::object& obj = j.get_object();
  avro_schema_t schema = avro_value_get_schema(v);
  const size_t n = avro_schema_record_size(schema);
  for (size_t i = 0; i < n; ++i) {
    const char* name = avro_schema_record_field_name(schema, static_cast<int>(i));
    avro_value_t child;
    avro_value_get_by_index(v, i, &child, nullptr);
    const std::string child_path = path + "." + name;
    auto it = obj.find(name);
    if (it == obj.end()) {
      // A missing field is null when its type allows null; otherwise it is an error.
      if (fits(avro_schema_record_field_get_by_index(schema, static_cast<int>(i)), nullptr)) {
        if (auto st = from_json(&child, nullptr, child_path); !st) return st;
        continue;
      }
      return Error::invalid(fmt::format("{}: missing field", child_path));
    }
    if (auto st = from_json(&child, it->value(), child_path); !st) return st;
  }
  return ok_status();
}

Status set_union(avro_value_t* v, const json::value& j, const std::string& path) {
  avro_schema_t schema = avro_value_get_schema(v);
  const size_t n = avro_schema_union_size(schema);
  for (size_t i = 0; i < n; ++i) {
    if (!fits(avro_schema_union_branch(schema, static_cast<int>(i)), j)) continue;
    avro_value_t branch;
    if (avro_value_set_branch(v, static_cast<int>(i), &branch) != 0) {
      return Error::invalid(fmt::format("{}: {}", path, avro_error()));
    }
    return from_json(&branch, j, path);
  }
  return Error::invalid(fmt::format("{}: value fits no branch of the union", path));
}

Status from_json(avro_value_t* v, const json::value& j, const std::string& path) {
  switch (avro_value_get_type(v)) {
    case AVRO_NULL:
      if (!j.is_null()) return Error::invalid(fmt::format("{}: expected null", path));
      avro_value_set_null(v);
      return ok_status();
    case AVRO_BOOLEAN:
      if (!j.is_bool()) return Error::invalid(fmt::format("{}: expected a boolean", path));
      avro_value_set_boolean(v, j.get_bool() ? 1 : 0);
      return ok_status();
    case AVRO_INT32:
    case AVRO_INT64:
    case AVRO_FLOAT:
    case AVRO_DOUBLE:
      return set_number(v, j, path);
    case AVRO_STRING: {
      if (!j.is_string()) return Error::invalid(fmt::format("{}: expected a string", path));
      const json::string& s = j.get_string();
      // libavro's length counts the terminating NUL, which json::string keeps.
      avro_value_set_string_len(v, s.c_str(), s.size() + 1);
      return ok_status();
    }
    case AVRO_BYTES:
    case AVRO_FIXED: {
      if (!j.is_string()) return Error::invalid(fmt::format("{}: expected a string", path));
      auto bytes = json_to_bytes(j.get_string(), path);
      if (!bytes) return bytes.error();
      int rc = 0;
      if (avro_value_get_type(v) == AVRO_BYTES) {
        rc = avro_value_set_bytes(v, bytes->data(), bytes->size());
      } else {
        const int64_t want = avro_schema_fixed_size(avro_value_get_schema(v));
        if (static_cast<int64_t>(bytes->size()) != want) {
          return Error::invalid(fmt::format("{}: expected {} bytes", path, want));
        }
        rc = avro_value_set_fixed(v, bytes->data(), bytes->size());
      }
      if (rc != 0) return Error::invalid(fmt::format("{}: {}", path, avro_error()));
      return ok_status();
    }
    case AVRO_ENUM: {
      int symbol = j.is_string() ? avro_schema_enum_get_by_name(avro_value_get_schema(v),
                                                                std::string(j.get_string()).c_str())
                                 : -1;
      if (symbol < 0) return Error::invalid(fmt::format("{}: not a symbol of the enum", path));
      avro_value_set_enum(v, symbol);
      return ok_status();
    }
    case AVRO_RECORD:
      return set_record(v, j, path);
    case AVRO_MAP: {
      if (!j.is_object()) return Error::invalid(fmt::format("{}: expected an object", path));
      for (const auto& kv : j.get_object()) {
        avro_value_t child;
        const std::string key(kv.key());
        if (avro_value_add(v, key.c_str(), &child, nullptr, nullptr) != 0) {
          return Error::invalid(fmt::format("{}: {}", path, avro_error()));
        }
        if (auto st = from_json(&child, kv.value(), path + "." + key); !st) return st;
      }
      return ok_status();
    }
    case AVRO_ARRAY: {
      if (!j.is_array()) return Error::invalid(fmt::format("{}: expected an array", path));
      size_t i = 0;
      for (const auto& item : j.get_array()) {
        avro_value_t child;
        if (avro_value_append(v, &child, nullptr) != 0) {
          return Error::invalid(fmt::format("{}: {}", path, avro_error()));
        }
        if (auto st = from_json(&child, item, fmt::format("{}[{}]", path, i++)); !st) return st;
      }
      return ok_status();
    }
    case AVRO_UNION:
      return set_union(v, j, path);
    default:
      return Error::invalid(fmt::format("{}: unsupported Avro type", path));
  }
}

}  // namespace

struct AvroSchema::Impl {
  avro_schema_t schema = nullptr;
  avro_value_iface_t* iface = nullptr;

  ~Impl() {
    if (iface) avro_value_iface_decref(iface);
    if (schema) avro_schema_decref(schema);
  }
};

AvroSchema::AvroSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AvroSchema::~AvroSchema() = default;

Result<std::shared_ptr<const AvroSchema>> AvroSchema::parse(std::string_view schema_json) {
  install_bounded_allocator();
  auto impl = std::make_unique<Impl>();
  if (avro_schema_from_json_length(schema_json.data(), schema_json.size(), &impl->schema) != 0) {
    impl->schema = nullptr;
    return Error::invalid("bad Avro schema: " + avro_error());
  }
  impl->iface = avro_generic_class_from_schema(impl->schema);
  if (!impl->iface) return Error::invalid("unusable Avro schema: " + avro_error());
  return std::shared_ptr<const AvroSchema>(new AvroSchema(std::move(impl)));
}

Result<std::string> AvroSchema::encode(std::string_view text) const {
  boost::system::error_code ec;
  json::value j = json::parse(text, ec);
  if (ec) return Error::invalid("payload is not JSON: " + ec.message());
  ScopedValue value(impl_->iface);
  if (!value.ok()) return Error::permanent("cannot create an Avro value: " + avro_error());
  if (auto st = from_json(value.get(), j, "$"); !st) {
    return st.error().wrap("payload does not fit the Avro schema");
  }
  size_t size = 0;
  if (avro_value_sizeof(value.get(), &size) != 0) return Error::invalid(avro_error());
  std::string out(size, '\0');
  avro_writer_t writer = avro_writer_memory(out.data(), static_cast<int64_t>(out.size()));
  const int rc = avro_value_write(writer, value.get());
  avro_writer_free(writer);
  if (rc != 0) return Error::invalid("Avro encoding failed: " + avro_error());
  return out;
}

Result<std::string> AvroSchema::decode(std::string_view binary) const {
  ScopedValue value(impl_->iface);
  if (!value.ok()) return Error::permanent("cannot create an Avro value: " + avro_error());
  avro_reader_t reader = avro_reader_memory(binary.data(), static_cast<int64_t>(binary.size()));
  LeakGuard guard;
  const int rc = avro_value_read(reader, value.get());
  if (rc != 0) {
    std::string why = avro_error();
    value.reset();
    guard.free_leftovers();
    avro_reader_free(reader);
    return Error::invalid("not Avro of the schema: " + why);
  }
  guard.keep();
  avro_reader_free(reader);
  // The binary encoding is canonical, so a value that re-encodes shorter than
  // the input was followed by bytes that belong to no value.
  size_t size = 0;
  if (avro_value_sizeof(value.get(), &size) != 0 || size != binary.size()) {
    return Error::invalid(fmt::format("{} trailing bytes after the Avro value",
                                      binary.size() > size ? binary.size() - size : 0));
  }
  auto j = to_json(value.get());
  if (!j) return j.error();
  return json::serialize(*j);
}

}  // namespace junction::connectors
