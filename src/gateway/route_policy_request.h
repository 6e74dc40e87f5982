#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "auth/policy_expression.h"
#include "gateway/authenticator.h"
#include "gateway/header_view.h"
#include "gateway/path_template.h"

namespace junction::gateway {

// What a route's `allow_if` reads: one request as the gateway matched and
// authenticated it. Views everything it is given, which must outlive it;
// lives for one evaluation, on one thread.
class RoutePolicyRequest : public auth::PolicyRequest {
 public:
  RoutePolicyRequest(std::string_view method, std::string_view target, HeaderView headers,
                     const PathParams& params, const Identity& identity)
      : method_(method), target_(target), headers_(headers), params_(params), identity_(identity) {}

  const boost::json::object* claims() const override;
  std::optional<std::string_view> path_param(std::string_view name) const override;
  std::optional<std::string_view> header(std::string_view name) const override;
  std::optional<std::string_view> query(std::string_view name) const override;
  std::string_view method() const override { return method_; }
  std::string_view consumer() const override { return identity_.consumer; }

 private:
  std::string_view method_;
  std::string_view target_;  // path and query, as received
  HeaderView headers_;
  const PathParams& params_;
  const Identity& identity_;
  mutable std::deque<std::string> decoded_;  // query values handed out; stable addresses
};

}  // namespace junction::gateway
