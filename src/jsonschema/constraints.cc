#include "jsonschema/constraints.h"

#include <fmt/format.h>

#include <boost/regex.hpp>
#include <new>
#include <stdexcept>

#include "jsonschema/valijson.h"

namespace junction::jsonschema {
namespace {

using valijson::ValidationResults;
using valijson::adapters::Adapter;
using valijson::constraints::Constraint;
using valijson::constraints::PolyConstraint;

class PatternConstraint final : public PolyConstraint {
 public:
  explicit PatternConstraint(std::string pattern)
      : pattern_(std::move(pattern)),
        regex_(std::make_shared<const boost::regex>(pattern_, boost::regex::ECMAScript)) {}

  bool validate(const Adapter& target, const std::vector<std::string>& context,
                ValidationResults* results) const override {
    if (!target.isString()) return true;
    const std::string text = target.asString();
    std::string problem;
    try {
      if (boost::regex_search(text, *regex_)) return true;
      problem = fmt::format("String does not match pattern '{}'.", pattern_);
    } catch (const std::runtime_error&) {
      problem = fmt::format("String is too complex to match against pattern '{}'.", pattern_);
    }
    if (results) results->pushError(context, problem);
    return false;
  }

 private:
  Constraint* cloneInto(void* memory) const override {
    return new (memory) PatternConstraint(*this);
  }
  size_t sizeOf() const override { return sizeof(PatternConstraint); }

  std::string pattern_;
  std::shared_ptr<const boost::regex> regex_;  // shared by valijson's clones
};

class FormatConstraint final : public PolyConstraint {
 public:
  explicit FormatConstraint(std::string format) : format_(std::move(format)) {}

  bool validate(const Adapter& target, const std::vector<std::string>& context,
                ValidationResults* results) const override {
    if (!target.isString() || valid_format(format_, target.asString())) return true;
    if (results) results->pushError(context, fmt::format("String should be a valid {}.", format_));
    return false;
  }

 private:
  Constraint* cloneInto(void* memory) const override {
    return new (memory) FormatConstraint(*this);
  }
  size_t sizeOf() const override { return sizeof(FormatConstraint); }

  std::string format_;
};

template <class C>
class Builder final : public valijson::ConstraintBuilder {
 public:
  Constraint* make(const Adapter& value) const override {
    std::string text;
    if (!value.getString(text)) throw std::runtime_error("expected a string");
    return new C(std::move(text));
  }
};

// Reads exactly `n` digits at `pos`; advances it.
bool digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// full-date = YYYY-MM-DD with a day that exists in that month.
bool parse_date(std::string_view s, size_t& pos) {
  int year = 0, month = 0, day = 0;
  if (!digits(s, pos, 4, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int limit = month == 2 && !leap ? 28 : kDays[month - 1];
  return day <= limit;
}

// full-time = HH:MM:SS[.frac](Z|+HH:MM|-HH:MM); second 60 allows a leap second.
bool parse_time(std::string_view s, size_t& pos) {
  int hour = 0, minute = 0, second = 0;
  if (!digits(s, pos, 2, hour) || !expect(s, pos, ':') || !digits(s, pos, 2, minute) ||
      !expect(s, pos, ':') || !digits(s, pos, 2, second)) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
    return true;
  }
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return false;
  ++pos;
  int off_hour = 0, off_minute = 0;
  return digits(s, pos, 2, off_hour) && expect(s, pos, ':') && digits(s, pos, 2, off_minute) &&
         off_hour <= 23 && off_minute <= 59;
}

}  // namespace

Status check_pattern(std::string_view pattern) {
  try {
    boost::regex re(pattern.begin(), pattern.end(), boost::regex::ECMAScript);
  } catch (const std::exception& e) {
    return Error::invalid(
        fmt::format("pattern '{}' is not a valid regular expression: {}", pattern, e.what()));
  }
  return ok_status();
}

void add_safe_constraints(valijson::SchemaParser& parser) {
  // The parser owns its builders and deletes them.
  parser.addConstraintBuilder(std::string(kPatternKeyword), new Builder<PatternConstraint>);
  parser.addConstraintBuilder(std::string(kFormatKeyword), new Builder<FormatConstraint>);
}

bool valid_format(std::string_view format, std::string_view value) {
  size_t pos = 0;
  if (format == "date") return parse_date(value, pos) && pos == value.size();
  if (format == "time") return parse_time(value, pos) && pos == value.size();
  if (format == "date-time") {
    if (!parse_date(value, pos)) return false;
    if (pos >= value.size() || (value[pos] != 'T' && value[pos] != 't')) return false;
    ++pos;
    return parse_time(value, pos) && pos == value.size();
  }
  return true;
}

}  // namespace junction::jsonschema
