#include "app/observability_server.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "app/topics_api.h"
#include "components/common/listen_address.h"
#include "http/problem.h"

namespace junction::app {

namespace beast_http = boost::beast::http;

std::unique_ptr<http::Server> make_observability_server(
    asio::io_context& ctx, const std::string& listen, observe::Registry& metrics,
    observe::Health& health, log::Store* store, RemoteMembers* members, std::string& error) {
  http::ServerOptions options;
  if (!components::parse_listen_address(listen, options)) {
    error = "observability.listen: expected host:port, got '" + listen + "'";
    return nullptr;
  }
  // Bodies only for the topics API (records posted to the log).
  options.limits.max_body_bytes = store ? 8u << 20 : 0;
  auto handler = [&metrics, &health, store, members](
                     http::Request& req,
                     const http::RequestInfo& info) -> asio::awaitable<http::Response> {
    if (store) {
      std::optional<http::Response> topics = co_await handle_topics_api(*store, members, req, info);
      if (topics) co_return std::move(*topics);
    }
    if (req.method() != beast_http::verb::get && req.method() != beast_http::verb::head) {
      co_return http::problem_response(405, "Method Not Allowed", "only GET is served here",
                                       info.request_id, req.version());
    }
    http::Response res{beast_http::status::ok, req.version()};
    std::string_view target(req.target().data(), req.target().size());
    if (target == "/metrics") {
      res.set(beast_http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = metrics.prometheus_text();
    } else if (target == "/health/live") {
      res.set(beast_http::field::content_type, "application/json");
      res.body() = R"({"status":"live"})";
    } else if (target == "/health/ready") {
      res.set(beast_http::field::content_type, "application/json");
      if (!health.ready()) res.result(beast_http::status::service_unavailable);
      res.body() = health.ready_report_json();
    } else {
      co_return http::problem_response(404, "Not Found",
                                       "served here: /metrics, /health/live, /health/ready",
                                       info.request_id, req.version());
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_return res;
  };
  return std::make_unique<http::Server>(ctx, options, handler);
}

}  // namespace junction::app
