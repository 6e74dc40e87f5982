#include "cli/topic_remote.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <optional>

#include "fmt/format.h"
#include "http/client.h"
#include "http/url.h"

namespace junction::cli {

namespace json = boost::json;
namespace beast_http = boost::beast::http;

namespace {

boost::asio::awaitable<void> send_into(http::Client& client, http::Url url, http::Request req,
                                       std::optional<Result<http::Response>>& out) {
  out.emplace(co_await client.send(url, std::move(req)));
}

}  // namespace

struct RemoteTopics::State {
  boost::asio::io_context io;
  http::Client client{io.get_executor(),
                      http::ClientOptions{.request_timeout = std::chrono::seconds(60)}};
  http::Url base;
};

RemoteTopics::RemoteTopics(std::unique_ptr<State> state) : state_(std::move(state)) {}
RemoteTopics::~RemoteTopics() = default;

Result<std::unique_ptr<RemoteTopics>> RemoteTopics::connect(std::string_view base_url) {
  auto url = http::parse_url(base_url);
  if (!url) return Error::invalid(fmt::format("--server {}: {}", base_url, url.error().message()));
  auto state = std::make_unique<State>();
  state->base = *url;
  if (state->base.target == "/") state->base.target.clear();
  return std::unique_ptr<RemoteTopics>(new RemoteTopics(std::move(state)));
}

Result<json::value> RemoteTopics::call(std::string_view method, const std::string& target,
                                       const std::string& body) {
  http::Url url = state_->base;
  url.target += target;
  http::Request req{beast_http::string_to_verb(method), "/", 11};
  if (!body.empty()) {
    req.set(beast_http::field::content_type, "application/json");
    req.body() = body;
  }
  std::optional<Result<http::Response>> answer;
  last_status_ = 0;
  boost::asio::co_spawn(state_->io, send_into(state_->client, url, std::move(req), answer),
                        boost::asio::detached);
  state_->io.restart();
  state_->io.run();
  if (!answer) return Error::transient("no answer from the server");
  auto& res = *answer;
  if (!res) return res.error().wrap(url.host_header());
  boost::system::error_code ec;
  json::value parsed = json::parse(res->body(), ec);
  const int status = static_cast<int>(res->result_int());
  last_status_ = status;
  if (status >= 400) {
    std::string detail = res->body();
    if (!ec && parsed.is_object() && parsed.as_object().contains("detail")) {
      detail = json::value_to<std::string>(parsed.as_object().at("detail"));
    }
    if (status == 404 || status == 400 || status == 413) return Error::invalid(detail);
    if (status == 429 || status == 503) return Error::overloaded(detail);
    return Error::transient(fmt::format("HTTP {}: {}", status, detail));
  }
  if (ec) return Error::transient("the server's answer is not JSON");
  return parsed;
}

}  // namespace junction::cli
