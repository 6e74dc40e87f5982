#include "http/dispatch.h"

#include <charconv>
#include <cstdint>

#include "core/headers.h"
#include "core/message.h"
#include "http/problem.h"

namespace junction::http::detail {

namespace bhttp = boost::beast::http;

namespace {

constexpr size_t kMaxRequestIdLength = 128;
constexpr std::string_view kRequestIdHeader = "X-Request-Id";

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// How a response frames its body, against what prepare_payload() would make.
enum class Framing {
  kByLength,  // one Content-Length equal to the body's size, no Transfer-Encoding
  kNone,      // a status with a body, and no Content-Length or Transfer-Encoding
  kOther,     // anything else: prepare_payload() sets it right
};

// A proxied response nearly always comes framed by length or (relayed as
// lines, see RelayedFields) not at all; rewriting the field would cost an
// erase and an insert.
Framing framing_of(const Response& res) {
  const unsigned status = res.result_int();
  if (status < 200 || status == 204 || status == 304) return Framing::kOther;
  bool matches = false;
  for (const auto& field : res) {
    if (field.name() == bhttp::field::transfer_encoding) return Framing::kOther;
    if (field.name() != bhttp::field::content_length) continue;
    if (matches) return Framing::kOther;  // a second one
    const auto value = field.value();
    uint64_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    matches =
        ec == std::errc() && end == value.data() + value.size() && length == res.body().size();
    if (!matches) return Framing::kOther;
  }
  return matches ? Framing::kByLength : Framing::kNone;
}

bool framed_by_length(const Response& res) {
  return framing_of(res) == Framing::kByLength;
}

}  // namespace

void choose_request_id(std::string_view client_value, std::string& out) {
  bool sane = !client_value.empty() && client_value.size() <= kMaxRequestIdLength;
  for (char c : client_value) {
    if (!sane) break;
    sane = is_id_char(c);
  }
  if (sane) {
    out.assign(client_value);
  } else {
    new_message_id(out);
  }
}

asio::awaitable<void> call_stream_handler(
    const std::function<asio::awaitable<void>(RequestStream&, const RequestInfo&)>& handler,
    RequestStream& stream, const RequestInfo& info) {
  try {
    co_await handler(stream, info);
  } catch (...) {
    // The server answers 500 if nothing was sent, or closes the connection.
  }
}

void finish_response(Response& res, unsigned version, bool keep_alive, bool head_request,
                     const RequestInfo& info, const ServerOptions& options) {
  res.version(version);
  if (res.find(bhttp::field::server) == res.end() && !options.server_name.empty()) {
    res.set(bhttp::field::server, options.server_name);
  }
  // Beast has no code for this name: saying so spares it a name lookup.
  res.erase(kRequestIdHeader);
  res.insert(bhttp::field::unknown, kRequestIdHeader, info.request_id);
  if (head_request) {
    // A HEAD answer announces the GET body's length but carries no body.
    if (res.find(bhttp::field::content_length) == res.end()) res.content_length(res.body().size());
    res.body().clear();
  } else if (!framed_by_length(res)) {
    res.prepare_payload();
  }
  res.keep_alive(keep_alive);
}

bool finish_response_on_wire(Response& res, unsigned version, bool wanted, bool head_request,
                             const RequestInfo& info, const ServerOptions& options,
                             std::string& lines) {
  // One pass: what the response already has, and any X-Request-Id of its
  // own (an upstream's echo), which ours replaces.
  bool has_server = false;
  bool has_connection = false;
  for (auto it = res.begin(); it != res.end();) {
    const auto name = it->name();
    has_server = has_server || name == bhttp::field::server;
    has_connection = has_connection || name == bhttp::field::connection;
    if (name == bhttp::field::unknown &&
        iequals(std::string_view(it->name_string()), kRequestIdHeader)) {
      it = res.erase(it);
    } else {
      ++it;
    }
  }
  // Only a Connection field the handler set can refuse: a response made for
  // an HTTP/1.0 client, with that version and no field, does not.
  const bool keep_alive = wanted && (!has_connection || res.keep_alive());
  res.version(version);
  Framing framing = Framing::kByLength;
  if (head_request) {
    if (res.find(bhttp::field::content_length) == res.end()) res.content_length(res.body().size());
    res.body().clear();
  } else {
    framing = framing_of(res);
    if (framing == Framing::kOther) res.prepare_payload();
  }
  // A Connection field set by the handler is Beast's to amend; without one,
  // the default of the version needs no line.
  const bool persistent_by_default = version >= 11;
  if (has_connection) res.keep_alive(keep_alive);
  if (!has_server && !options.server_name.empty()) {
    lines.append("Server: ").append(options.server_name).append("\r\n");
  }
  lines.append(kRequestIdHeader).append(": ").append(info.request_id).append("\r\n");
  if (framing == Framing::kNone) {
    // A line, not a field: an insertion into Beast's tree costs more.
    char digits[20];
    const auto end = std::to_chars(digits, digits + sizeof digits, res.body().size()).ptr;
    lines.append("Content-Length: ").append(digits, end).append("\r\n");
  }
  if (!has_connection && keep_alive != persistent_by_default) {
    lines.append(keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  }
  return keep_alive;
}

void insert_field_lines(Response& res, std::string& lines) {
  std::string_view rest = lines;
  while (!rest.empty()) {
    const size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    res.insert(line.substr(0, colon), value);
  }
  lines.clear();
}

void finish_relayed_header(bhttp::response_header<>& head, const RequestInfo& info,
                           const ServerOptions& options) {
  if (head.find(bhttp::field::server) == head.end() && !options.server_name.empty()) {
    head.set(bhttp::field::server, options.server_name);
  }
  head.set(kRequestIdHeader, info.request_id);
}

}  // namespace junction::http::detail
