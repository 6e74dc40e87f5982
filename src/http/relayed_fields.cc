#include "http/relayed_fields.h"

#include <algorithm>
#include <cctype>

#include "http/field_syntax.h"

namespace junction::http {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

FieldNames& FieldNames::add(std::string_view name) {
  names_.push_back(lowercase(name));
  return *this;
}

FieldNames& FieldNames::add_prefix(std::string_view prefix) {
  prefixes_.push_back(lowercase(prefix));
  return *this;
}

bool FieldNames::contains(std::string_view name) const {
  for (const auto& n : names_) {
    if (syntax::token_is(name, n)) return true;
  }
  for (const auto& p : prefixes_) {
    if (name.size() >= p.size() && syntax::token_is(name.substr(0, p.size()), p)) return true;
  }
  return false;
}

}  // namespace junction::http
