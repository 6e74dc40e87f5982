#include "spec/convert.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace junction::spec {
namespace {

// What a value of each type is called in "expected a ... for field 'x'".
std::string noun(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "a string";
    case FieldType::kInt:
      return "an integer";
    case FieldType::kNumber:
      return "a number";
    case FieldType::kBool:
      return "a boolean";
    case FieldType::kDuration:
      return "a duration";
    case FieldType::kSize:
      return "a size";
    case FieldType::kRate:
      return "a rate";
    case FieldType::kStringList:
      return "a string or a list of strings";
    case FieldType::kObject:
      return "a mapping";
    case FieldType::kList:
      return "a sequence";
    case FieldType::kAny:
      return "a value";
  }
  return "a value";
}

// The name of a scalar type in "invalid duration '5x' for field ...".
std::string label(FieldType type) {
  switch (type) {
    case FieldType::kInt:
      return "integer";
    case FieldType::kBool:
      return "boolean";
    default:
      return std::string(to_string(type));
  }
}

// What each scalar type looks like, for the tail of an "invalid ..." message.
std::string shape(FieldType type) {
  switch (type) {
    case FieldType::kInt:
      return "expected a whole number like 64";
    case FieldType::kNumber:
      return "expected a number like 0.5";
    case FieldType::kBool:
      return "expected true or false";
    case FieldType::kDuration:
      return "expected a number with a unit: ns, us, ms, s, m, h, d like 250ms or 5m";
    case FieldType::kSize:
      return "expected a number with an optional unit: B, KB, MB, GB, KiB, MiB, GiB like 64KiB";
    case FieldType::kRate:
      return "expected a count per period like 1000/min or 50/s burst 100";
    default:
      return "";
  }
}

std::optional<int64_t> parse_int(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.starts_with("0x")) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.starts_with("0o")) {
    base = 8;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (!negative) {
    if (magnitude > kMax) return std::nullopt;
    return static_cast<int64_t>(magnitude);
  }
  if (magnitude > kMax + 1) return std::nullopt;
  return magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                               : -static_cast<int64_t>(magnitude);
}

std::optional<double> parse_number(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The spellings YAML 1.1 reads as booleans, which users expect from YAML.
std::optional<bool> parse_bool(std::string_view s) {
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? ", " : "") + words[i];
  return out;
}

// The value as written, quoted for a message; nothing at all for a secret.
std::string echo(const Field& field, const Node& value) {
  return field.secret ? std::string() : " '" + value.raw() + "'";
}

std::optional<Config::Value> convert_string(const Field& field, const Node& value, std::string text,
                                            Diagnostics& diags) {
  if (field.one_of.empty() ||
      std::find(field.one_of.begin(), field.one_of.end(), text) != field.one_of.end()) {
    return Config::Value(std::move(text));
  }
  // A near match on an interpolated value would hint at the value itself.
  std::string hint = (field.secret || text != value.raw())
                         ? "expected one of: " + join(field.one_of)
                         : suggest(value.raw(), field.one_of);
  diags.error(value.location(),
              "invalid value" + echo(field, value) + " for field '" + field.name + "'", hint);
  return std::nullopt;
}

std::optional<Config::Value> convert_scalar(const Field& field, const Node& value, std::string text,
                                            Diagnostics& diags) {
  std::optional<Config::Value> out;
  switch (field.type) {
    case FieldType::kString:
      return convert_string(field, value, std::move(text), diags);
    case FieldType::kInt:
      if (auto v = parse_int(text)) out.emplace(std::in_place_type<int64_t>, *v);
      break;
    case FieldType::kNumber:
      if (auto v = parse_number(text)) out.emplace(std::in_place_type<double>, *v);
      break;
    case FieldType::kBool:
      if (auto v = parse_bool(text)) out.emplace(std::in_place_type<bool>, *v);
      break;
    case FieldType::kDuration:
      if (auto v = parse_duration(text)) out.emplace(std::in_place_type<Duration>, *v);
      break;
    case FieldType::kSize:
      if (auto v = parse_size(text)) out.emplace(std::in_place_type<uint64_t>, *v);
      break;
    case FieldType::kRate:
      if (auto v = parse_rate(text)) out.emplace(std::in_place_type<Rate>, *v);
      break;
    default:
      break;
  }
  if (!out) {
    diags.error(value.location(), "invalid " + label(field.type) + echo(field, value) +
                                      " for field '" + field.name + "': " + shape(field.type));
  }
  return out;
}

std::optional<std::string> text_of(const Node& value, bool interpolate_text, Diagnostics& diags) {
  if (interpolate_text) return interpolate(value, diags);
  return value.raw();
}

std::optional<Config::Value> convert_strings(const Field& field, const Node& value,
                                             bool interpolate_text, Diagnostics& diags) {
  std::vector<std::string> out;
  if (value.is_scalar()) {
    auto text = text_of(value, interpolate_text, diags);
    if (!text) return std::nullopt;
    out.push_back(std::move(*text));
    return Config::Value(std::move(out));
  }
  bool ok = true;
  for (const Node& item : value.items()) {
    if (!item.is_scalar()) {
      diags.error(item.location(),
                  "expected a string in the list '" + field.name + "', " + got(item));
      ok = false;
      continue;
    }
    auto text = text_of(item, interpolate_text, diags);
    if (text) {
      out.push_back(std::move(*text));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return Config::Value(std::move(out));
}

}  // namespace

std::string got(const Node& node) {
  return node.is_null() ? "got nothing" : "got a " + node.kind_name();
}

std::optional<Config::Value> convert_field(const Field& field, const Node& value,
                                           bool interpolate_text, Diagnostics& diags) {
  bool fits = false;
  switch (field.type) {
    case FieldType::kObject:
      fits = value.is_map();
      break;
    case FieldType::kList:
      fits = value.is_sequence();
      break;
    case FieldType::kAny:
      fits = true;
      break;
    case FieldType::kStringList:
      fits = value.is_scalar() || value.is_sequence();
      break;
    default:
      fits = value.is_scalar();
      break;
  }
  if (!fits) {
    diags.error(value.location(),
                "expected " + noun(field.type) + " for field '" + field.name + "', " + got(value));
    return std::nullopt;
  }
  switch (field.type) {
    case FieldType::kObject:
    case FieldType::kList:
    case FieldType::kAny:
      return Config::Value(value);
    case FieldType::kStringList:
      return convert_strings(field, value, interpolate_text, diags);
    default:
      break;
  }
  auto text = text_of(value, interpolate_text, diags);
  if (!text) return std::nullopt;
  return convert_scalar(field, value, std::move(*text), diags);
}

}  // namespace junction::spec
