#include "components/inputs/http_server/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "components/common/listen_address.h"
#include "components/common/request_message.h"
#include "http/problem.h"
#include "http/server.h"

// GCC 12 pairs Asio's coroutine-frame operator delete with the global
// operator new in this file's large coroutine and warns; the frame is in fact
// allocated by awaitable_frame_base::operator new (a known false positive).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace junction::components {
namespace {

namespace beast_http = boost::beast::http;

struct Options {
  http::ServerOptions server;
  std::string path;  // exact, or a prefix when it ends with '*'
  std::vector<beast_http::verb> methods;
  std::string methods_text;
  Duration timeout;
  Duration drain;
  std::string key_header;
};

// Where a request waits for its message's ack.
struct PendingReply {
  explicit PendingReply(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<Status> outcome;
};

// Turns HTTP requests into messages. The response waits for the flow's ack,
// so a 2xx means every output took the message (at-least-once at the edge).
class HttpServerInput final : public flow::Input {
 public:
  explicit HttpServerInput(Options options) : options_(std::move(options)) {}

  asio::awaitable<Status> open() override {
    auto ex = co_await asio::this_coro::executor;
    // The server's connections live on the flow's own io_context thread.
    auto* io_ex = ex.target<asio::io_context::executor_type>();
    if (!io_ex) co_return Error::permanent("http_server needs an io_context executor");
    server_ = std::make_unique<http::Server>(
        io_ex->context(), options_.server,
        [this](http::Request& req, const http::RequestInfo& info) { return handle(req, info); });
    auto port = server_->listen();
    if (!port.ok()) co_return std::move(port).error();
    spdlog::info("http_server listening on {}:{}", options_.server.host, *port);
    co_return ok_status();
  }

  asio::awaitable<Status> run(flow::Emitter& emitter) override {
    emitter_ = &emitter;
    stop_timer_.emplace(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    server_->start();
    boost::system::error_code ec;
    while (!stopped_) {
      co_await stop_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_await server_->shutdown(options_.drain);
    co_return ok_status();
  }

  void stop() override {
    stopped_ = true;
    if (stop_timer_) stop_timer_->cancel();
  }

  asio::awaitable<void> close() override {
    server_.reset();
    co_return;
  }

 private:
  bool path_matches(std::string_view target) const {
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    const std::string& want = options_.path;
    if (!want.empty() && want.back() == '*') {
      return path.substr(0, want.size() - 1) == std::string_view(want).substr(0, want.size() - 1);
    }
    return path == want;
  }

  asio::awaitable<http::Response> handle(http::Request& req, const http::RequestInfo& info) {
    std::string_view target(req.target().data(), req.target().size());
    if (!path_matches(target)) {
      co_return http::problem_response(404, "Not Found", "no route for this path", info.request_id,
                                       req.version());
    }
    if (std::find(options_.methods.begin(), options_.methods.end(), req.method()) ==
        options_.methods.end()) {
      auto res =
          http::problem_response(405, "Method Not Allowed", "allowed: " + options_.methods_text,
                                 info.request_id, req.version());
      res.set(beast_http::field::allow, options_.methods_text);
      co_return res;
    }
    if (!emitter_ || emitter_->stopping()) {
      co_return http::problem_response(503, "Service Unavailable", "shutting down", info.request_id,
                                       req.version());
    }

    auto ex = co_await asio::this_coro::executor;
    auto pending = std::make_shared<PendingReply>(ex);
    pending->timer.expires_after(options_.timeout);

    Message msg = request_message(req, info, Buffer(std::move(req.body())));
    if (!options_.key_header.empty()) {
      if (auto k = msg.headers.get(options_.key_header)) msg.key = std::string(*k);
    }
    msg.ack = Ack([pending, ex](Status s) {
      asio::post(ex, [pending, s = std::move(s)]() mutable {
        pending->outcome = std::move(s);
        pending->timer.cancel();
      });
    });
    std::string id = msg.id;

    MessageBatch batch;
    batch.push_back(std::move(msg));
    Status emitted = co_await emitter_->emit(std::move(batch));
    if (!emitted.ok()) {
      co_return http::problem_response(503, "Service Unavailable", emitted.error().message(),
                                       info.request_id, req.version());
    }
    boost::system::error_code ec;
    while (!pending->outcome) {
      co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) break;  // the timer expired rather than being cancelled by the ack
    }
    if (!pending->outcome) {
      co_return http::problem_response(
          504, "Gateway Timeout",
          "the message was accepted but not yet delivered; it may still be delivered",
          info.request_id, req.version());
    }
    if (!pending->outcome->ok()) co_return failure_response(pending->outcome->error(), req, info);

    http::Response res{beast_http::status::accepted, req.version()};
    res.set(beast_http::field::content_type, "application/json");
    boost::json::object body;
    body["id"] = id;
    body["status"] = "accepted";
    res.body() = boost::json::serialize(body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_return res;
  }

  // Invalid input is the client's to fix, so it sees why; for every other
  // class the detail stays in our logs (it may name internal hosts).
  static http::Response failure_response(const Error& e, const http::Request& req,
                                         const http::RequestInfo& info) {
    int status = e.http_status();
    std::string detail;
    switch (e.cls()) {
      case ErrorClass::kInvalid:
      case ErrorClass::kUnauthorized:
      case ErrorClass::kForbidden:
        detail = e.message();
        break;
      case ErrorClass::kOverloaded:
        detail = "overloaded; retry later";
        break;
      default:
        detail = "the message could not be delivered; retry later";
        status = e.cls() == ErrorClass::kPermanent ? 500 : 503;
    }
    const char* title = status == 400   ? "Bad Request"
                        : status == 401 ? "Unauthorized"
                        : status == 403 ? "Forbidden"
                        : status == 429 ? "Too Many Requests"
                        : status == 500 ? "Internal Server Error"
                                        : "Service Unavailable";
    auto res = http::problem_response(status, title, detail, info.request_id, req.version());
    if (status == 429 || status == 503) res.set(beast_http::field::retry_after, "1");
    return res;
  }

  Options options_;
  std::unique_ptr<http::Server> server_;
  flow::Emitter* emitter_ = nullptr;
  std::optional<asio::steady_timer> stop_timer_;
  bool stopped_ = false;
};

}  // namespace

void register_http_server_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "http_server";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Receives HTTP requests as messages; answers once the flow took the message.";
  info.doc =
      "Each request body becomes a message (request headers become message headers, except "
      "credentials, hop-by-hop ones and names starting with `http-` or `http_`; `http-method` "
      "and `http-target` are added). The "
      "response waits for the flow: 202 with {\"id\": ...} once every output took the message; "
      "400 with the reason for invalid input (malformed JSON, schema violation); 429/503 with "
      "Retry-After when overloaded or failing; 504 when the flow took longer than `timeout`. "
      "Errors are RFC 9457 problem+json. Bodies over `max_body` get 413, too many or too large "
      "headers 431. TLS when `tls_cert` and `tls_key` are set; mutual TLS with `tls_client_ca`.";
  info.schema.primary = "listen";
  info.schema.fields = {
      {"listen", spec::FieldType::kString, "0.0.0.0:8080", "host:port to listen on."},
      {"path", spec::FieldType::kString, "/", "Path served; a trailing * matches a prefix."},
      {"methods", spec::FieldType::kStringList, "[POST]", "Accepted methods."},
      {"timeout", spec::FieldType::kDuration, "30s", "How long a request waits for its flow."},
      {"drain", spec::FieldType::kDuration, "10s", "On stop, how long in-flight requests get."},
      {"max_body", spec::FieldType::kSize, "1MiB", "Largest accepted body (413 beyond)."},
      {"max_header_bytes", spec::FieldType::kSize, "16KiB", "Largest header block (431 beyond)."},
      {"max_header_count", spec::FieldType::kInt, "100", "Most header fields (431 beyond)."},
      {"key_header", spec::FieldType::kString, "", "Request header whose value becomes the key."},
      {"tls_cert", spec::FieldType::kString, "", "PEM certificate chain file; enables TLS."},
      {"tls_key", spec::FieldType::kString, "", "PEM private key file.", false, {}, true},
      {"tls_client_ca", spec::FieldType::kString, "", "PEM CA file: require client certificates."},
  };
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    Options o;
    if (!parse_listen_address(c.str("listen"), o.server)) {
      return Error::invalid("listen: expected host:port, got '" + c.str("listen") + "'");
    }
    o.path = c.str("path");
    if (o.path.empty() || o.path.front() != '/') return Error::invalid("path must start with '/'");
    for (const auto& m : c.strings("methods")) {
      auto verb = beast_http::string_to_verb(m);
      if (verb == beast_http::verb::unknown)
        return Error::invalid("methods: unknown method '" + m + "'");
      o.methods.push_back(verb);
      o.methods_text += (o.methods_text.empty() ? "" : ", ") + m;
    }
    if (o.methods.empty()) return Error::invalid("methods: list at least one method");
    o.timeout = c.duration("timeout");
    o.drain = c.duration("drain");
    o.key_header = c.str("key_header");
    o.server.limits.max_body_bytes = c.size("max_body");
    o.server.limits.max_header_bytes = static_cast<uint32_t>(c.size("max_header_bytes"));
    if (c.integer("max_header_count") < 1) return Error::invalid("max_header_count must be >= 1");
    o.server.limits.max_header_count = static_cast<uint32_t>(c.integer("max_header_count"));
    if (c.has("tls_cert") != c.has("tls_key")) {
      return Error::invalid("TLS needs both tls_cert and tls_key");
    }
    if (c.has("tls_cert")) {
      http::TlsOptions tls;
      tls.cert_file = ctx.resolve(c.str("tls_cert")).string();
      tls.key_file = ctx.resolve(c.str("tls_key")).string();
      if (c.has("tls_client_ca")) {
        tls.client_ca_file = ctx.resolve(c.str("tls_client_ca")).string();
        tls.require_client_cert = true;
      }
      o.server.tls = tls;
    }
    return std::unique_ptr<flow::Input>(std::make_unique<HttpServerInput>(std::move(o)));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
