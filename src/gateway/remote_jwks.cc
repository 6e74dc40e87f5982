#include "gateway/remote_jwks.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;
using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kMaxJwksBytes = 1024 * 1024;
constexpr auto kNever = SteadyClock::time_point::min().time_since_epoch().count();

http::ClientOptions client_options(const RemoteJwks::Options& o) {
  http::ClientOptions c;
  c.connect_timeout = std::min<Duration>(o.timeout, std::chrono::seconds(5));
  c.request_timeout = o.timeout;
  c.max_idle_per_host = 1;
  c.max_response_body = kMaxJwksBytes;
  c.ca_file = o.ca_file;
  return c;
}

std::string kid_list(const auth::JwkSet& set) {
  std::string out;
  for (const auth::Key& key : set.keys) {
    if (!out.empty()) out += ", ";
    out += key.kid().empty() ? "(no kid)" : key.kid();
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<RemoteJwks>> RemoteJwks::create(Options options,
                                                       asio::any_io_executor executor,
                                                       observe::Registry& metrics) {
  auto url = http::parse_url(options.url);
  if (!url) return Error::invalid("jwks_url: " + url.error().message());
  return std::shared_ptr<RemoteJwks>(
      new RemoteJwks(std::move(options), std::move(*url), std::move(executor), metrics));
}

RemoteJwks::RemoteJwks(Options options, http::Url url, asio::any_io_executor executor,
                       observe::Registry& metrics)
    : options_(std::move(options)),
      url_(std::move(url)),
      // A query may carry an access token of the identity provider's: logs
      // name the URL without it.
      log_name_(url_.origin() + url_.target.substr(0, url_.target.find('?'))),
      executor_(executor),
      client_(std::in_place, executor, client_options(options_)),
      timer_(executor) {
  constexpr std::string_view kFetches = "junction_gateway_jwks_fetches_total";
  constexpr std::string_view kFetchesHelp = "fetches of the JWT key set (jwks_url), by result";
  fetched_ok_ = &metrics.counter(kFetches, kFetchesHelp, {{"result", "ok"}});
  fetch_failed_ = &metrics.counter(kFetches, kFetchesHelp, {{"result", "error"}});
  refetches_ = &metrics.counter("junction_gateway_jwks_refetches_total",
                                "early key set fetches for a token naming an unknown kid");
  key_count_ = &metrics.gauge("junction_gateway_jwks_keys", "keys in the current JWT key set");
}

RemoteJwks::~RemoteJwks() = default;

void RemoteJwks::start(observe::Health* health) {
  if (started_.exchange(true)) return;
  if (health) health->set_ready("jwks", false, "no key set fetched yet");
  health_ = health;
  asio::co_spawn(executor_, run(shared_from_this()), asio::detached);
}

void RemoteJwks::stop() {
  if (stopped_.exchange(true) || !started_) return;
  if (observe::Health* health = health_.load()) health->remove("jwks");
  asio::post(executor_, [self = shared_from_this()] { self->timer_.cancel(); });
}

bool RemoteJwks::request_refetch() {
  if (!started_ || stopped_) return false;
  const auto now = SteadyClock::now().time_since_epoch().count();
  const auto cooldown =
      std::chrono::duration_cast<SteadyClock::duration>(options_.cooldown).count();
  auto last = last_refetch_.load();
  if (last != kNever && now - last < cooldown) return false;
  // Of many threads seeing the same unknown kid at once, one asks.
  if (!last_refetch_.compare_exchange_strong(last, now)) return false;
  refetches_->inc();
  asio::post(executor_, [self = shared_from_this()] {
    self->wake_pending_ = true;
    self->timer_.cancel();
  });
  return true;
}

asio::awaitable<void> RemoteJwks::run(std::shared_ptr<RemoteJwks> self) {
  Duration retry = self->options_.first_retry;
  while (!self->stopped_) {
    self->wake_pending_ = false;
    auto fetched = co_await self->fetch();
    if (self->stopped_) break;
    Duration wait = self->options_.refresh;
    if (fetched) {
      self->accept(std::move(*fetched));
      retry = self->options_.first_retry;
    } else {
      self->reject(fetched.error());
      wait = retry;
      retry = std::min<Duration>(retry * 2, self->options_.refresh);
    }
    // A re-fetch asked for while this fetch was in flight: the key set it
    // got may predate the rotation.
    if (self->wake_pending_) continue;
    self->timer_.expires_after(wait);
    boost::system::error_code ec;
    co_await self->timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  // Pooled connections close here, on their own executor.
  self->client_.reset();
}

asio::awaitable<Result<std::shared_ptr<const auth::JwkSet>>> RemoteJwks::fetch() {
  http::Request req{bhttp::verb::get, url_.target, 11};
  req.set(bhttp::field::accept, "application/jwk-set+json, application/json");
  auto sent = co_await client_->send(url_, std::move(req));
  if (!sent) co_return sent.error();
  if (sent->result_int() != 200) {
    co_return Error::transient("answered HTTP " + std::to_string(sent->result_int()));
  }
  auto set = auth::parse_jwks(sent->body());
  if (!set) co_return set.error();
  if (set->keys.empty()) co_return Error::invalid("no usable key in the key set");
  co_return std::make_shared<const auth::JwkSet>(std::move(*set));
}

void RemoteJwks::accept(std::shared_ptr<const auth::JwkSet> set) {
  fetched_ok_->inc();
  key_count_->set(static_cast<double>(set->keys.size()));
  std::string kids = kid_list(*set);
  auto previous = keys_.exchange(set);
  if (previous && kid_list(*previous) == kids) return;
  spdlog::info("jwks {}: {} key(s): {}", log_name_, set->keys.size(), kids);
  for (const std::string& skipped : set->skipped) {
    spdlog::warn("jwks {}: {} (skipped)", log_name_, skipped);
  }
  observe::Health* health = health_.load();
  if (!previous && health && !stopped_) health->set_ready("jwks", true);
}

void RemoteJwks::reject(const Error& error) {
  fetch_failed_->inc();
  if (auto current = keys_.load()) {
    spdlog::warn("jwks {}: refresh failed: {}; keeping the {} key(s) of the last good fetch",
                 log_name_, error.message(), current->keys.size());
  } else {
    spdlog::warn("jwks {}: fetch failed: {}; routes that need a JWT answer 503 until it succeeds",
                 log_name_, error.message());
  }
}

}  // namespace junction::gateway
