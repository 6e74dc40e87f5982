#include "gateway/route_policy_request.h"

#include <algorithm>
#include <optional>

namespace junction::gateway {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding; nullopt for a malformed escape, which a policy
// must not guess at. ('+' stays '+': it means a space in HTML forms only.)
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hex_digit(text[i + 1]);
    int lo = hex_digit(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

const boost::json::object* RoutePolicyRequest::claims() const {
  return identity_.claims ? &identity_.claims->payload() : nullptr;
}

std::optional<std::string_view> RoutePolicyRequest::path_param(std::string_view name) const {
  return params_.get(name);
}

std::optional<std::string_view> RoutePolicyRequest::header(std::string_view name) const {
  return headers_.get(name);
}

std::optional<std::string_view> RoutePolicyRequest::query(std::string_view name) const {
  size_t mark = target_.find('?');
  if (mark == std::string_view::npos) return std::nullopt;
  std::string_view text = target_.substr(mark + 1);
  text = text.substr(0, text.find('#'));
  while (!text.empty()) {
    std::string_view pair = text.substr(0, text.find('&'));
    text.remove_prefix(std::min(text.size(), pair.size() + 1));
    size_t equals = pair.find('=');
    auto key = percent_decode(pair.substr(0, equals));
    if (!key || *key != name) continue;
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view()
                                                                 : pair.substr(equals + 1));
    if (!value) return std::nullopt;
    decoded_.push_back(std::move(*value));
    return std::string_view(decoded_.back());
  }
  return std::nullopt;
}

}  // namespace junction::gateway
