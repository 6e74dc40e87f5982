#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/types.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

// A route's CORS policy (the Fetch standard's CORS protocol). The gateway
// answers a preflight (OPTIONS with Origin and Access-Control-Request-Method)
// itself, before auth and rate limits, since browsers send no credentials on
// a preflight; and it marks every other response of the route, errors
// included, so a browser may read a problem body too. A disallowed origin
// gets no CORS headers: the browser then withholds the response.
class CorsPolicy {
 public:
  // `route_methods`: the route's methods, allowed by a preflight unless the
  // policy names its own.
  CorsPolicy(const spec::CorsSpec& spec, const std::vector<std::string>& route_methods);

  bool allows_origin(std::string_view origin) const;
  bool allows_method(std::string_view method) const;

  // The 204 answer to an allowed preflight.
  http::Response preflight(std::string_view origin, unsigned version) const;
  // Adds Access-Control-Allow-Origin (and credentials, exposed headers) to a
  // response for an allowed origin; Vary: Origin always, so a cache never
  // serves one origin's answer to another.
  void decorate(http::Response& res, std::string_view origin) const;

 private:
  std::string allow_origin_value(std::string_view origin) const;

  std::vector<std::string> origins_;
  bool any_origin_ = false;
  std::vector<std::string> methods_;  // empty: any
  std::string methods_value_;
  std::string headers_value_;
  std::string expose_value_;
  bool credentials_ = false;
  std::string max_age_value_;
};

}  // namespace junction::gateway
