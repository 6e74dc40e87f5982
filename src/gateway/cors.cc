#include "gateway/cors.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <chrono>

#include "core/headers.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

CorsPolicy::CorsPolicy(const spec::CorsSpec& spec, const std::vector<std::string>& route_methods)
    : origins_(spec.origins),
      methods_(spec.methods.empty() ? route_methods : spec.methods),
      headers_value_(join(spec.headers)),
      expose_value_(join(spec.expose)),
      credentials_(spec.credentials),
      max_age_value_(
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(spec.max_age).count())) {
  any_origin_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
  methods_value_ = methods_.empty() ? "GET, HEAD, POST, PUT, PATCH, DELETE" : join(methods_);
}

bool CorsPolicy::allows_origin(std::string_view origin) const {
  if (origin.empty()) return false;
  if (any_origin_) return true;
  // Origins are compared as the browser serializes them: scheme and host in
  // lower case, so the comparison is case-insensitive.
  return std::any_of(origins_.begin(), origins_.end(),
                     [&](const std::string& o) { return iequals(o, origin); });
}

bool CorsPolicy::allows_method(std::string_view method) const {
  if (methods_.empty()) return true;
  return std::find(methods_.begin(), methods_.end(), method) != methods_.end();
}

std::string CorsPolicy::allow_origin_value(std::string_view origin) const {
  // "*" may not carry credentials; echoing the origin works in both cases,
  // but "*" lets shared caches keep one copy when credentials are off.
  if (any_origin_ && !credentials_) return "*";
  return std::string(origin);
}

http::Response CorsPolicy::preflight(std::string_view origin, unsigned version) const {
  http::Response res{bhttp::status::no_content, version};
  res.set(bhttp::field::access_control_allow_origin, allow_origin_value(origin));
  res.set(bhttp::field::access_control_allow_methods, methods_value_);
  if (!headers_value_.empty()) res.set(bhttp::field::access_control_allow_headers, headers_value_);
  if (credentials_) res.set(bhttp::field::access_control_allow_credentials, "true");
  res.set(bhttp::field::access_control_max_age, max_age_value_);
  res.set(bhttp::field::vary,
          "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  res.prepare_payload();
  return res;
}

void CorsPolicy::decorate(http::Response& res, std::string_view origin) const {
  // Keep an upstream's own Vary and add Origin to it.
  auto vary = res.find(bhttp::field::vary);
  if (vary == res.end()) {
    res.set(bhttp::field::vary, "Origin");
  } else if (std::string_view v(vary->value().data(), vary->value().size());
             v != "*" && v.find("Origin") == std::string_view::npos) {
    res.set(bhttp::field::vary, std::string(v) + ", Origin");
  }
  if (!allows_origin(origin)) return;
  res.set(bhttp::field::access_control_allow_origin, allow_origin_value(origin));
  if (credentials_) res.set(bhttp::field::access_control_allow_credentials, "true");
  if (!expose_value_.empty()) {
    res.set(bhttp::field::access_control_expose_headers, expose_value_);
  }
}

}  // namespace junction::gateway
