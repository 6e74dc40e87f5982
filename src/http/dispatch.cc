#include "http/dispatch.h"

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

}  // namespace

std::string choose_request_id(std::string_view client_value) {
  bool sane = !client_value.empty() && client_value.size() <= kMaxRequestIdLength;
  for (char c : client_value) {
    if (!sane) break;
    sane = is_id_char(c);
  }
  return sane ? std::string(client_value) : new_message_id();
}

asio::awaitable<Response> call_handler(const Handler& handler, Request& req,
                                       const RequestInfo& info) {
  try {
    co_return co_await handler(req, info);
  } catch (...) {
    // Falls through: a coroutine cannot co_await inside a handler block, and
    // nothing about the failure is told to the client.
  }
  co_return problem_response(500, "Internal Server Error", "the request could not be processed",
                             info.request_id, req.version());
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
  } else {
    res.prepare_payload();
  }
  res.keep_alive(keep_alive);
}

void finish_relayed_header(bhttp::response_header<>& head, const RequestInfo& info,
                           const ServerOptions& options) {
  if (head.find(bhttp::field::server) == head.end() && !options.server_name.empty()) {
    head.set(bhttp::field::server, options.server_name);
  }
  head.set(kRequestIdHeader, info.request_id);
}

}  // namespace junction::http::detail
