#include "gateway/forward.h"

#include <boost/beast/http/field.hpp>
#include <vector>

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::string_view kHopByHop[] = {
    "Connection", "Keep-Alive",         "Proxy-Connection",   "TE", "Trailer", "Transfer-Encoding",
    "Upgrade",    "Proxy-Authenticate", "Proxy-Authorization"};

template <class Fields>
void remove_hop_by_hop(Fields& fields) {
  // Headers the Connection field names are hop-by-hop too.
  std::vector<std::string> named;
  for (auto it = fields.find(bhttp::field::connection);
       it != fields.end() && it->name() == bhttp::field::connection; ++it) {
    std::string_view list(it->value().data(), it->value().size());
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view token = list.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (!token.empty()) named.emplace_back(token);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  for (const auto& name : named) fields.erase(name);
  for (auto name : kHopByHop) fields.erase(name);
}

}  // namespace

http::Request upstream_request(const http::Request& in, std::string_view target,
                               const http::RequestInfo& info) {
  http::Request out{in.method(), target, 11};
  for (const auto& field : in) {
    // The body is sent whole, so an upstream must not be asked for a 100
    // Continue, which the client would take for the final answer.
    if (field.name() == bhttp::field::host || field.name() == bhttp::field::content_length ||
        field.name() == bhttp::field::expect) {
      continue;
    }
    out.insert(field.name_string(), field.value());
  }
  remove_hop_by_hop(out);
  std::string forwarded_for;
  if (auto it = in.find("X-Forwarded-For"); it != in.end()) {
    forwarded_for.assign(it->value().data(), it->value().size());
    forwarded_for += ", ";
  }
  forwarded_for += info.remote_address;
  out.set("X-Forwarded-For", forwarded_for);
  out.set("X-Forwarded-Proto", info.tls ? "https" : "http");
  if (auto it = in.find(bhttp::field::host); it != in.end()) {
    out.set("X-Forwarded-Host", it->value());
  }
  out.set("X-Request-Id", info.request_id);
  out.body() = in.body();
  return out;
}

void strip_hop_by_hop(http::Response& res) {
  remove_hop_by_hop(res);
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

Headers header_list(const http::RequestHeader& req) {
  Headers headers;
  for (const auto& field : req) headers.add(field.name_string(), field.value());
  return headers;
}

}  // namespace junction::gateway
