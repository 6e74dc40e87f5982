#include "gateway/route_policy_request.h"

#include <boost/url/parse_query.hpp>

namespace junction::gateway {

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
  auto params = boost::urls::parse_query(text);
  // A query the URL grammar refuses has no parameters a policy can trust.
  if (!params) return std::nullopt;
  for (const auto& param : *params) {
    if (param.key.decode() != name) continue;
    decoded_.push_back(param.has_value ? param.value.decode() : std::string());
    return std::string_view(decoded_.back());
  }
  return std::nullopt;
}

}  // namespace junction::gateway
