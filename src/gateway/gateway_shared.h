#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <vector>

#include "core/error.h"
#include "gateway/access_log_file.h"
#include "gateway/authenticator.h"
#include "gateway/rate_limiter.h"
#include "gateway/remote_jwks.h"
#include "gateway/upstream_shared.h"
#include "observe/health.h"
#include "observe/metrics.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

// The state that is one per gateway although a Gateway runs per I/O thread:
// the authenticator and its key set fetched from a jwks_url, every route's
// rate-limit buckets (a limit of 1000/min
// means 1000 across all threads) and every upstream's SharedUpstream (target
// health, retry budget, circuit breaker, bulkhead). Each member is thread-safe.
// Everything else a Gateway holds (route table, upstream clients, targets)
// is immutable or bound to its own thread, and built per thread.
class GatewayShared {
 public:
  // Error::invalid for a JWKS file that cannot be read, a malformed key
  // list, a rate limit that does not parse (naming the route), or an access
  // log file that cannot be opened.
  // `previous`, on a reload: the gateway being replaced. Its JWKS fetcher is
  // taken over when the new spec fetches the same URL the same way, so JWT
  // routes keep their keys across the reload instead of answering 503 until
  // a new fetch succeeds.
  static Result<std::shared_ptr<GatewayShared>> create(
      const spec::GatewaySpec& spec, const std::vector<spec::UpstreamSpec>& upstreams,
      observe::Registry& metrics, asio::any_io_executor background,
      const GatewayShared* previous = nullptr);
  ~GatewayShared();

  // Starts the background work that reports readiness: fetching a
  // jwks_url (component "jwks" in `health`). Health checks start at create.
  void start(observe::Health& health);
  // Stops the background work (health checks, JWKS refreshes), which would
  // otherwise keep `background` busy. Call before that executor stops;
  // requests are still served. The JWKS fetcher is left running when
  // `other` (the gateway replacing this one, or the one this one was built
  // to replace) uses it too.
  void stop(const GatewayShared* other = nullptr);

  const Authenticator& authenticator() const { return auth_; }
  // The limiter of spec.routes[route], or null for a route without one.
  RateLimiter* limiter(size_t route) const;
  // The shared state of the upstream named `name`; null for an unknown name.
  std::shared_ptr<SharedUpstream> upstream(const std::string& name) const;
  // The access log file; null unless `access_log: {file: ...}`.
  const std::shared_ptr<AccessLogFile>& access_log() const { return access_log_; }

 private:
  GatewayShared(std::shared_ptr<RemoteJwks> jwks, Authenticator auth)
      : jwks_(std::move(jwks)), auth_(std::move(auth)) {}

  std::shared_ptr<RemoteJwks> jwks_;  // null without a jwks_url
  Authenticator auth_;
  std::map<size_t, std::unique_ptr<RateLimiter>> limiters_;
  std::map<std::string, std::shared_ptr<SharedUpstream>> upstreams_;
  std::shared_ptr<AccessLogFile> access_log_;
};

}  // namespace junction::gateway
