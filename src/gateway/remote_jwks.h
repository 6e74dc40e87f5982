#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "auth/jwk.h"
#include "core/error.h"
#include "core/units.h"
#include "http/client.h"
#include "http/url.h"
#include "observe/health.h"
#include "observe/metrics.h"

namespace junction::gateway {

namespace asio = boost::asio;

// The JWT verification keys published at `gateway.auth.jwt.jwks_url`.
//
// ONE per gateway, shared by every per-thread Authenticator: keys() is a
// lock-free load of an immutable key set, swapped whole after each good
// fetch, so a verification never sees half a rotation. The fetch loop runs
// on the one executor given to create(): it fetches at start, then every
// `refresh`, and early when a token names a kid the set lacks
// (request_refetch(), at most once per `cooldown`, so made-up kids cannot
// hammer the identity provider). A failed fetch keeps the last good set and
// logs a warning; until the first success keys() is null and readiness
// component "jwks" is false.
class RemoteJwks : public std::enable_shared_from_this<RemoteJwks> {
 public:
  struct Options {
    std::string url;
    Duration refresh = std::chrono::minutes(10);
    Duration cooldown = std::chrono::seconds(30);
    std::string ca_file;                          // trusted for https beside the system store
    Duration timeout = std::chrono::seconds(10);  // one fetch, connecting included
    // Before the first success, and after a failure, the next try comes
    // after this delay, doubling up to `refresh`.
    Duration first_retry = std::chrono::seconds(1);

    bool operator==(const Options&) const = default;
  };

  // Error::invalid for a URL that is not absolute http(s).
  static Result<std::shared_ptr<RemoteJwks>> create(Options options, asio::any_io_executor executor,
                                                    observe::Registry& metrics);
  ~RemoteJwks();
  RemoteJwks(const RemoteJwks&) = delete;
  RemoteJwks& operator=(const RemoteJwks&) = delete;

  // Spawns the fetch loop on the executor; reports readiness to `health`
  // when given (it must outlive this object). Once only.
  void start(observe::Health* health);
  // Ends the loop: a wait is cut short; a fetch in flight ends within
  // `timeout` and its result is dropped. From any thread; repeatable.
  void stop();

  const Options& options() const { return options_; }

  // The last good key set; null until the first fetch succeeded. Any thread.
  std::shared_ptr<const auth::JwkSet> keys() const { return keys_.load(); }

  // A token named a kid that keys() lacks: fetch now, unless a re-fetch for
  // that reason started less than `cooldown` ago. Any thread. True when a
  // fetch was asked for.
  bool request_refetch();

 private:
  RemoteJwks(Options options, http::Url url, asio::any_io_executor executor,
             observe::Registry& metrics);

  static asio::awaitable<void> run(std::shared_ptr<RemoteJwks> self);
  asio::awaitable<Result<std::shared_ptr<const auth::JwkSet>>> fetch();
  void accept(std::shared_ptr<const auth::JwkSet> set);
  void reject(const Error& error);

  const Options options_;
  const http::Url url_;
  const std::string log_name_;  // the URL without its query: what logs show
  asio::any_io_executor executor_;
  // Loop state: touched on the executor only.
  std::optional<http::Client> client_;
  asio::steady_timer timer_;
  bool wake_pending_ = false;

  std::atomic<std::shared_ptr<const auth::JwkSet>> keys_;
  std::atomic<observe::Health*> health_{nullptr};  // start() may run on another thread than stop()
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  // steady_clock ticks of the last kid-triggered re-fetch; min(): never.
  std::atomic<std::chrono::steady_clock::rep> last_refetch_{
      std::chrono::steady_clock::time_point::min().time_since_epoch().count()};

  observe::Counter* fetched_ok_;
  observe::Counter* fetch_failed_;
  observe::Counter* refetches_;
  observe::Gauge* key_count_;
};

}  // namespace junction::gateway
