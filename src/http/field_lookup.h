#pragma once

// Finding a field by walking a message's fields in order.
//
// Beast's find() descends a tree, comparing names without case at every
// step (iless): about 260 instructions a lookup on a proxied GET, where a
// request has a handful of fields. A walk compares a field code, or a size
// before any character, and finds the same first field (the tree keeps
// equal names in the order they came).

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <optional>
#include <string_view>

#include "core/headers.h"

namespace junction::http {

template <bool isRequest>
std::optional<std::string_view> first_value(const boost::beast::http::header<isRequest>& h,
                                            boost::beast::http::field code) {
  for (const auto& f : h) {
    if (f.name() == code) return std::string_view(f.value().data(), f.value().size());
  }
  return std::nullopt;
}

template <bool isRequest>
std::optional<std::string_view> first_value(const boost::beast::http::header<isRequest>& h,
                                            std::string_view name) {
  for (const auto& f : h) {
    const auto n = f.name_string();
    if (n.size() == name.size() && iequals(std::string_view(n.data(), n.size()), name)) {
      return std::string_view(f.value().data(), f.value().size());
    }
  }
  return std::nullopt;
}

}  // namespace junction::http
