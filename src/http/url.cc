#include "http/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

namespace junction::http {

namespace {

bool is_ipv6(const std::string& host) {
  return host.find(':') != std::string::npos;
}

std::string bracketed(const std::string& host) {
  return is_ipv6(host) ? "[" + host + "]" : host;
}

}  // namespace

std::string Url::host_header() const {
  uint16_t default_port = tls() ? 443 : 80;
  if (port == default_port) return bracketed(host);
  return bracketed(host) + ":" + std::to_string(port);
}

std::string Url::origin() const {
  return scheme + "://" + bracketed(host) + ":" + std::to_string(port);
}

Result<Url> parse_url(std::string_view text) {
  namespace urls = boost::urls;
  auto parsed = urls::parse_uri(text);
  if (!parsed) {
    return Error::invalid("malformed URL '" + std::string(text) + "': " + parsed.error().message());
  }
  const urls::url_view& u = *parsed;
  Url out;
  if (u.scheme_id() == urls::scheme::http) {
    out.scheme = "http";
    out.port = 80;
  } else if (u.scheme_id() == urls::scheme::https) {
    out.scheme = "https";
    out.port = 443;
  } else {
    return Error::invalid("unsupported URL scheme '" + std::string(u.scheme()) +
                          "' (want http or https)");
  }
  switch (u.host_type()) {
    case urls::host_type::ipv4:
      out.host = u.host_ipv4_address().to_string();
      break;
    case urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      break;
    case urls::host_type::name:
      out.host = u.host_name();
      break;
    default:
      return Error::invalid("URL '" + std::string(text) + "' has no usable host");
  }
  if (out.host.empty()) return Error::invalid("URL '" + std::string(text) + "' has no host");
  if (u.has_userinfo()) {
    // Credentials belong in headers the caller sets, never silently in a URL.
    return Error::invalid("URL '" + std::string(text) + "' must not carry user info");
  }
  // "host:" with an empty port means the default port (RFC 3986 3.2.3).
  if (u.has_port() && !u.port().empty()) {
    // port_number() wraps values above 65535 silently; parse it ourselves.
    std::string_view digits = u.port();
    uint32_t port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return Error::invalid("URL '" + std::string(text) + "' has an invalid port");
    }
    out.port = static_cast<uint16_t>(port);
  }
  out.target = std::string(u.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (u.has_query()) {
    out.target += '?';
    out.target += std::string(u.encoded_query());
  }
  return out;
}

}  // namespace junction::http
