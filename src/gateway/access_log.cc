#include "gateway/access_log.h"

#include <charconv>
#include <cmath>

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

void append_uint(std::string& out, uint64_t value) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out.append(buf, end);
}

void field(std::string& out, std::string_view name, uint64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  append_uint(out, value);
}

// Fixed-point milliseconds with three decimals: a JSON library would write
// 0.037 as 3.7E-2, and printf-style formatting costs more than the request.
void append_millis(std::string& out, double ms) {
  uint64_t micros = ms > 0 ? static_cast<uint64_t>(std::llround(ms * 1000)) : 0;
  append_uint(out, micros / 1000);
  char frac[4] = {'.', static_cast<char>('0' + micros / 100 % 10),
                  static_cast<char>('0' + micros / 10 % 10), static_cast<char>('0' + micros % 10)};
  out.append(frac, sizeof frac);
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
  out += ",\"latency_ms\":";
  append_millis(out, e.latency_ms);
  out += '}';
  return out;
}

}  // namespace junction::gateway
