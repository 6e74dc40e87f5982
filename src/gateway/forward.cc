#include "gateway/forward.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <initializer_list>
#include <vector>

#include "core/sized_writer.h"
#include "http/hop_by_hop.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::string_view kForwardedFor = "X-Forwarded-For";
constexpr std::string_view kForwardedProto = "X-Forwarded-Proto";
constexpr std::string_view kForwardedHost = "X-Forwarded-Host";
constexpr std::string_view kRequestId = "X-Request-Id";

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

bool iequals(std::string_view a, std::string_view b) {
  return boost::beast::iequals(a, b);
}

// The fields a Connection header names, but for the tokens that name no
// field to remove: "close", and "keep-alive", whose field is hop-by-hop
// anyway. Those two are nearly all Connection headers carry, and each named
// field costs a removal by name.
void add_tokens(std::string_view list, std::vector<std::string>& out) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view token = list.substr(0, comma);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty() && !iequals(token, "close") && !iequals(token, "keep-alive")) {
      out.emplace_back(token);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// One pass over the fields, comparing their codes, not their names: looking
// up each hop-by-hop name in turn was 7% of a proxied GET (callgrind).
template <class Fields>
void remove_hop_by_hop(Fields& fields) {
  std::vector<std::string> named;  // fields the Connection header names are hop-by-hop too
  for (auto it = fields.begin(); it != fields.end();) {
    if (it->name() == bhttp::field::connection) add_tokens(sv(it->value()), named);
    if (http::is_hop_by_hop(it->name())) {
      it = fields.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& name : named) fields.erase(name);
}

// Whether the client's `field` stays at the gateway: a forged identity
// header, or a credential the route keeps from the upstream.
bool withheld(const bhttp::fields::value_type& field, const UpstreamIdentity& who) {
  const std::string_view n = sv(field.name_string());
  if (!who.header.empty() && iequals(n, who.header)) return true;
  if (!who.drop_credentials) return false;
  return field.name() == bhttp::field::authorization ||
         (!who.api_key_header.empty() && iequals(n, who.api_key_header));
}

// What the proxy adds, worked out from the client's request.
struct Forwarding {
  std::string forwarded_for;  // the client's chain, then its address
  std::string_view proto;
  std::string_view host;  // a view into the Host field
  std::string_view request_id;
  std::string identity;  // the identity header's value; empty: none
};

// Removes from the client's request what must not reach an upstream, and
// gathers what the proxy adds. Host stays: `host` views it.
Forwarding strip_for_upstream(http::RequestHeader& req, const http::RequestInfo& info,
                              const UpstreamIdentity& who) {
  Forwarding fwd;
  std::string_view& host = fwd.host;
  std::string& forwarded_for = fwd.forwarded_for;
  for (auto it = req.begin(); it != req.end();) {
    const auto name = it->name();
    // The body is sent whole, so an upstream must not be asked for a 100
    // Continue, which the client would take for the final answer. The
    // sender sets Content-Length, and the fields below are set here.
    bool drop = name == bhttp::field::expect || name == bhttp::field::content_length;
    if (name == bhttp::field::host && host.empty()) host = sv(it->value());
    if (name == bhttp::field::unknown) {
      const std::string_view n = sv(it->name_string());
      if (iequals(n, kForwardedFor)) {
        forwarded_for.append(sv(it->value())).append(", ");
        drop = true;
      } else {
        drop = iequals(n, kForwardedProto) || iequals(n, kForwardedHost) || iequals(n, kRequestId);
      }
    }
    if (!drop && (!who.header.empty() || who.drop_credentials)) drop = withheld(*it, who);
    if (drop) {
      it = req.erase(it);
    } else {
      ++it;
    }
  }
  remove_hop_by_hop(req);
  forwarded_for += info.remote_address;
  fwd.proto = info.tls ? "https" : "http";
  fwd.request_id = info.request_id;
  if (!who.header.empty() && !who.consumer.empty()) {
    fwd.identity = identity_field_value(who.consumer);
  }
  return fwd;
}

// The fields an upstream gets, on a request that already has the client's.
void forward_fields(http::RequestHeader& req, const http::RequestInfo& info,
                    const UpstreamIdentity& who) {
  const Forwarding fwd = strip_for_upstream(req, info, who);
  // Beast has no codes for these names: saying so spares it the lookup.
  constexpr auto kNoCode = bhttp::field::unknown;
  req.insert(kNoCode, kForwardedFor, fwd.forwarded_for);
  req.insert(kNoCode, kForwardedProto, fwd.proto);
  // Still a view into the Host field, which goes last.
  if (!fwd.host.empty()) req.insert(kNoCode, kForwardedHost, fwd.host);
  req.insert(kNoCode, kRequestId, fwd.request_id);
  if (!fwd.identity.empty()) req.insert(who.header, fwd.identity);
  req.erase(bhttp::field::host);
}

// "Name: value\r\n" for each field with a value, in `out` (its old
// content replaced).
void write_lines(std::string& out,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  size_t size = 0;
  for (const auto& [name, value] : fields) size += name.size() + value.size() + 4;
  out.clear();
  SizedWriter w(out, size);
  for (const auto& [name, value] : fields) {
    if (!value.empty()) w.text(name).text(": ").text(value).text("\r\n");
  }
}

}  // namespace

std::string identity_field_value(std::string_view consumer) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(consumer.size());
  for (const char c : consumer) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && b != '%') {
      out += c;
    } else {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
  }
  return out;
}

http::Request upstream_request(const http::Request& in, std::string_view target,
                               const http::RequestInfo& info, const UpstreamIdentity& who) {
  http::Request out{in.base()};
  out.target(target);
  out.version(11);
  forward_fields(out, info, who);
  out.body() = in.body();
  return out;
}

void prepare_upstream_request(http::Request& req, const http::RequestInfo& info,
                              std::string& forwarding, const UpstreamIdentity& who) {
  req.version(11);
  const Forwarding fwd = strip_for_upstream(req, info, who);
  // Every value came through the parser (no CR or LF), is the server's, or
  // was percent-encoded (the identity).
  write_lines(forwarding, {{kForwardedFor, fwd.forwarded_for},
                           {kForwardedProto, fwd.proto},
                           {kForwardedHost, fwd.host},  // none without a Host field
                           {kRequestId, fwd.request_id},
                           {who.header, fwd.identity}});  // none when anonymous
  req.prepare_payload();
}

void adopt_upstream_answer(http::Response& res) {
  remove_hop_by_hop(res);
  res.erase(bhttp::field::server);
}

std::string strip_prefix(std::string_view target, std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty() || !target.starts_with(prefix)) return std::string(target);
  std::string_view rest = target.substr(prefix.size());
  if (rest.empty() || rest.front() == '?') return "/" + std::string(rest);
  if (rest.front() != '/') return std::string(target);  // "/apis" does not start with "/api"
  return std::string(rest);
}

bool idempotent(bhttp::verb method) {
  switch (method) {
    case bhttp::verb::get:
    case bhttp::verb::head:
    case bhttp::verb::options:
    case bhttp::verb::put:
    case bhttp::verb::delete_:
    case bhttp::verb::trace:
      return true;
    default:
      return false;
  }
}

}  // namespace junction::gateway
