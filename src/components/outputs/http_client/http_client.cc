#include "components/outputs/http_client/http_client.h"

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "http/client.h"
#include "http/url.h"

namespace junction::components {
namespace {

namespace beast_http = boost::beast::http;

struct Options {
  http::Url url;
  beast_http::verb method = beast_http::verb::post;
  std::vector<std::pair<std::string, std::string>> headers;  // may hold secrets: never logged
  std::vector<std::string> forward_headers;
  std::string content_type;
  std::string idempotency_header;
  http::ClientOptions client;
};

// The class of an HTTP answer decides what the flow does next: 5xx and
// 408/429 may pass (retry), other 4xx will not (dead letter).
Status classify(const http::Response& res, const http::Url& url) {
  unsigned code = res.result_int();
  if (code >= 200 && code < 300) return ok_status();
  std::string what = "HTTP " + std::to_string(code) + " from " + url.origin();
  if (code == 429 || code == 408 || code == 503) return Error::overloaded(what);
  if (code >= 500) return Error::transient(what);
  if (code == 401) return Error::unauthorized(what);
  if (code == 403) return Error::forbidden(what);
  return Error::invalid(what);
}

// Sends each message as one HTTP request; success means a 2xx answer.
class HttpClientOutput final : public flow::Output {
 public:
  explicit HttpClientOutput(Options options) : options_(std::move(options)) {}

  asio::awaitable<Status> open() override {
    client_ = std::make_unique<http::Client>(co_await asio::this_coro::executor, options_.client);
    co_return ok_status();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    for (size_t i = 0; i < batch.size(); ++i) {
      const Message& m = batch[i];
      http::Request req{options_.method, options_.url.target, 11};
      for (const auto& name : options_.forward_headers) {
        if (auto v = m.headers.get(name)) req.set(name, std::string(*v));
      }
      std::string content_type = options_.content_type;
      if (auto ct = m.headers.get("content-type"); ct && content_type.empty()) content_type = *ct;
      req.set(beast_http::field::content_type,
              content_type.empty() ? "application/json" : content_type);
      if (!options_.idempotency_header.empty() && !m.id.empty()) {
        req.set(options_.idempotency_header, m.id);
      }
      if (auto tp = m.headers.get("traceparent")) req.set("traceparent", std::string(*tp));
      for (const auto& [k, v] : options_.headers) req.set(k, v);
      req.body() = m.payload.str();
      auto res = co_await client_->send(options_.url, std::move(req));
      if (!res.ok()) co_return flow::WriteResult{i, std::move(res).error()};
      Status s = classify(*res, options_.url);
      if (!s.ok()) co_return flow::WriteResult{i, std::move(s)};
    }
    co_return flow::WriteResult::all(batch.size());
  }

  asio::awaitable<void> close() override {
    client_.reset();
    co_return;
  }

 private:
  Options options_;
  std::unique_ptr<http::Client> client_;
};

}  // namespace

void register_http_client_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "http_client";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Sends each message as an HTTP request; a 2xx answer means delivered.";
  info.doc =
      "Connections are pooled and kept alive. A 5xx, 408, 429 or a transport failure "
      "(refused, reset, timeout) is retried by the flow's `on_error.retry`; any other 4xx goes "
      "to the dead letter at once. Each request carries the message id in `Idempotency-Key` "
      "(so a retried delivery can be recognised) and the message's `traceparent`.\n\n"
      "Example:\n\n    output:\n      http_client: https://crm.example.com/api/contacts\n"
      "      headers: { Authorization: \"Bearer ${CRM_TOKEN}\" }";
  info.schema.primary = "url";
  info.schema.fields = {
      {"url", spec::FieldType::kString, "", "http:// or https:// URL.", true},
      {"method",
       spec::FieldType::kString,
       "POST",
       "HTTP method.",
       false,
       {"POST", "PUT", "PATCH", "DELETE", "GET"}},
      {"headers", spec::FieldType::kObject, "",
       "Extra request headers; values may use ${ENV} / ${file:..} and are never logged."},
      {"forward_headers", spec::FieldType::kStringList, "", "Message headers to send along."},
      {"content_type", spec::FieldType::kString, "",
       "Content-Type; default: the message's, else application/json."},
      {"idempotency_header", spec::FieldType::kString, "Idempotency-Key",
       "Header carrying the message id; empty = none."},
      {"timeout", spec::FieldType::kDuration, "30s", "Whole-request timeout."},
      {"connect_timeout", spec::FieldType::kDuration, "5s", "Connect and TLS handshake timeout."},
      {"max_idle_connections", spec::FieldType::kInt, "32", "Kept-alive connections per host."},
      {"tls_verify", spec::FieldType::kBool, "true", "Verify the server certificate."},
      {"tls_ca", spec::FieldType::kString, "", "PEM file of extra trusted CAs."},
      {"tls_cert", spec::FieldType::kString, "", "PEM client certificate (mutual TLS)."},
      {"tls_key", spec::FieldType::kString, "", "PEM client key.", false, {}, true},
  };
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    Options o;
    auto url = http::parse_url(c.str("url"));
    if (!url.ok()) return std::move(url).error().wrap("url");
    o.url = std::move(url).value();
    o.method = beast_http::string_to_verb(c.str("method"));
    if (auto headers = c.node("headers"); headers.defined()) {
      for (const auto& [k, v] : headers.entries()) {
        if (!v.is_scalar()) return Error::invalid("headers." + k.raw() + ": expected a string");
        spec::Diagnostics diags;
        auto value = spec::interpolate(v, diags);
        if (!value) return Error::invalid(diags.items().front().message);
        o.headers.emplace_back(k.raw(), *value);
      }
    }
    o.forward_headers = c.strings("forward_headers");
    o.content_type = c.str("content_type");
    o.idempotency_header = c.str("idempotency_header");
    o.client.request_timeout = c.duration("timeout");
    o.client.connect_timeout = c.duration("connect_timeout");
    if (c.integer("max_idle_connections") < 0) {
      return Error::invalid("max_idle_connections must be 0 or more");
    }
    o.client.max_idle_per_host = static_cast<uint32_t>(c.integer("max_idle_connections"));
    o.client.verify_peer = c.boolean("tls_verify");
    if (c.has("tls_ca")) o.client.ca_file = ctx.resolve(c.str("tls_ca")).string();
    if (c.has("tls_cert")) o.client.cert_file = ctx.resolve(c.str("tls_cert")).string();
    if (c.has("tls_key")) o.client.key_file = ctx.resolve(c.str("tls_key")).string();
    return std::unique_ptr<flow::Output>(std::make_unique<HttpClientOutput>(std::move(o)));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
