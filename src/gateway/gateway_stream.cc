// The header-first path of the gateway, for routes with `to.stream`: the
// route is chosen, the caller authenticated and rate limited on the header
// alone, and then the request body is relayed to the upstream and the
// response body back as they arrive, through one fixed buffer each way.

#include <boost/beast/http/field.hpp>

#include "gateway/forward.h"
#include "gateway/gateway.h"
#include "gateway/normalized_path.h"
#include "http/problem.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

// Reads a body of `length` bytes whole: small bodies on a streaming route
// stay replayable, so a retryable request keeps its retries.
asio::awaitable<Result<void>> read_whole(http::RequestStream& in, uint64_t length,
                                         std::string& into) {
  into.resize(length);
  size_t got = 0;
  while (got < length) {
    auto n = co_await in.read_some({into.data() + got, length - got});
    if (!n) co_return n.error();
    if (*n == 0) break;
    got += *n;
  }
  into.resize(got);
  co_return Result<void>{};
}

// The answer to a request whose body could not be read; nobody may be left
// to receive it when the client went away.
http::Response body_problem(const http::RequestStream& in, uint64_t limit,
                            const std::string& request_id, unsigned version) {
  using Failure = http::RequestStream::BodyFailure;
  if (in.body_failure() == Failure::kTooLarge) {
    return http::problem_response(413, "Payload Too Large",
                                  "the request body exceeds " + std::to_string(limit) + " bytes",
                                  request_id, version);
  }
  return http::problem_response(400, "Bad Request", "the request body could not be read",
                                request_id, version);
}

}  // namespace

Gateway::RouteRuntime::StreamMetrics Gateway::stream_metrics(observe::Registry& metrics,
                                                             const std::string& route) {
  RouteRuntime::StreamMetrics m;
  m.bytes_in = &metrics.counter("junction_gateway_streamed_bytes_total",
                                "body bytes relayed by streaming routes",
                                {{"route", route}, {"direction", "in"}});
  m.bytes_out = &metrics.counter("junction_gateway_streamed_bytes_total",
                                 "body bytes relayed by streaming routes",
                                 {{"route", route}, {"direction", "out"}});
  m.cut = &metrics.counter("junction_gateway_stream_cut_total",
                           "streamed responses broken off after their header was sent",
                           {{"route", route}});
  return m;
}

std::optional<uint64_t> Gateway::stream_limit(const http::RequestHeader& header) {
  if (!streams_) return std::nullopt;
  auto path = normalize_path(sv(header.target()));
  if (!path) return std::nullopt;  // refused on the buffered path, as ever
  std::string_view host;
  if (auto it = header.find(bhttp::field::host); it != header.end()) host = sv(it->value());
  MatchResult m = table_.match(sv(header.method_string()), host, *path, header);
  if (m.outcome != MatchResult::Outcome::kMatched || !routes_[m.route].spec->to.stream) {
    return std::nullopt;
  }
  return spec_.limits.max_streamed_body;
}

asio::awaitable<void> Gateway::handle_stream(http::RequestStream& stream,
                                             const http::RequestInfo& info) {
  Exchange ex;
  ex.stream = &stream;
  // select_route() and serve() look at the header only; the body stays
  // unread in the stream until proxy_stream relays it.
  http::Request req{stream.header()};
  http::Response res;
  const auto path = normalize_path(sv(req.target()));
  MatchResult match;  // its params view the path
  if (RouteRuntime* rt = select_route(req, info, path, ex, match, res)) {
    co_await serve(*rt, req, info, match.params, ex, res);
  }
  record(ex, res);
  uint64_t bytes_out = 0;
  if (ex.relay) {
    auto sent = co_await stream.relay(res, *ex.relay);
    if (sent) bytes_out = *sent;
    if (!sent && ex.route && ex.route->stream) ex.route->stream->cut->inc();
  } else {
    bytes_out = res.body().size();
    co_await stream.respond(res);
  }
  if (ex.route && ex.route->stream) {
    ex.route->stream->bytes_in->inc(stream.body_read());
    ex.route->stream->bytes_out->inc(bytes_out);
  }
  ex.end = resilience::Clock::now();  // the relay's end
  access_log(req, info, ex, res.result_int(), stream.body_read(), bytes_out);
}

asio::awaitable<http::Response> Gateway::proxy_stream(RouteRuntime& rt, http::Request& req,
                                                      const http::RequestInfo& info, Exchange& ex) {
  http::RequestStream& in = *ex.stream;
  const unsigned version = req.version();
  const auto& limits = spec_.limits;
  std::string target = strip_prefix(sv(req.target()), rt.spec->to.strip_prefix);
  http::Request out = upstream_request(req, target, info, upstream_identity(rt, ex));
  const std::optional<uint64_t> length = in.content_length();  // nullopt: chunked
  http::BodySource* body = nullptr;
  if (length && *length <= limits.stream_threshold) {
    if (auto read = co_await read_whole(in, *length, out.body()); !read) {
      co_return body_problem(in, limits.max_streamed_body, info.request_id, version);
    }
  } else {
    // The client's framing is hop-by-hop; the length, when known, is not.
    if (length) out.content_length(*length);
    body = &in;
  }
  ex.upstream = rt.upstream->name();
  UpstreamResult result = co_await rt.upstream->open(
      std::move(out), body, rt.upstream->retryable(req), info.remote_address);
  ex.attempts = result.attempts;
  if (in.body_failure() != http::RequestStream::BodyFailure::kNone) {
    // The client's fault, not the upstream's: it sent too much or stopped.
    co_return body_problem(in, limits.max_streamed_body, info.request_id, version);
  }
  if (result.outcome != UpstreamResult::Outcome::kResponse) {
    co_return upstream_problem(result.outcome, info.request_id, version);
  }
  http::Response res = std::move(result.response);
  adopt_upstream_answer(res);
  res.version(version);
  ex.relay = std::move(result.body);
  co_return res;
}

}  // namespace junction::gateway
