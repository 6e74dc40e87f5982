#include "gateway/access_log.h"

#include <fmt/format.h>

#include "observe/json_escape.h"

namespace junction::gateway {
namespace {

constexpr size_t kMaxLoggedPath = 512;

void field(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  observe::detail::append_json_escaped(out, value);
  out += '"';
}

void field(std::string& out, std::string_view name, uint64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  fmt::format_to(std::back_inserter(out), "{}", value);
}

}  // namespace

std::string format_access_line(const AccessEntry& e) {
  std::string path(e.target.substr(0, std::min(e.target.find('?'), kMaxLoggedPath)));
  for (char& c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  std::string out;
  out.reserve(256 + path.size());
  out += "{\"type\":\"access\"";
  field(out, "request_id", e.request_id);
  field(out, "method", e.method);
  field(out, "path", path);
  field(out, "route", e.route);
  field(out, "status", e.status);
  field(out, "upstream", e.upstream);
  field(out, "attempts", static_cast<uint64_t>(std::max(e.attempts, 0)));
  field(out, "bytes_in", e.bytes_in);
  field(out, "bytes_out", e.bytes_out);
  field(out, "client", e.client);
  field(out, "identity", e.identity);
  // Fixed-point milliseconds: a JSON library would write 0.037 as 3.7E-2.
  fmt::format_to(std::back_inserter(out), ",\"latency_ms\":{:.3f}}}", e.latency_ms);
  return out;
}

}  // namespace junction::gateway
