#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "gateway/hash_ring.h"
#include "gateway/health_checker.h"
#include "gateway/retry_budget.h"
#include "gateway/upstream_health.h"
#include "http/url.h"
#include "observe/metrics.h"
#include "resilience/bulkhead.h"
#include "resilience/circuit_breaker.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

struct UpstreamTarget {
  std::string name;  // as written in the spec: the metrics label
  http::Url url;
  std::string base_path;    // "" or a path without a trailing slash
  std::string origin;       // url.origin(), once rather than per request
  std::string host_header;  // url.host_header(), likewise
};

// What every per-thread Upstream of one named upstream shares: its targets,
// their health (active checks and passive ejections), the hash ring, the
// retry budget, the health checker that feeds them, and the guards that
// judge the upstream's traffic as a whole: the circuit breaker, the
// bulkhead (max_concurrent over all threads) and the round-robin turn. One per named
// upstream per gateway, whatever the number of threads; thread-safe.
class SharedUpstream {
 public:
  // Error::invalid for a target URL the spec layer could not check.
  static Result<std::shared_ptr<SharedUpstream>> create(const spec::UpstreamSpec& spec,
                                                        observe::Registry& metrics);
  ~SharedUpstream();
  SharedUpstream(const SharedUpstream&) = delete;
  SharedUpstream& operator=(const SharedUpstream&) = delete;

  // Starts the active health checks, when the spec has them, on `executor`
  // (one thread). Call once.
  void start(asio::any_io_executor executor);
  // Stops the health checks (see HealthChecker::stop). The owner calls it
  // before the executor stops running: the loop's timer keeps it busy.
  void stop();

  const std::string& name() const { return name_; }
  const std::vector<UpstreamTarget>& targets() const { return targets_; }
  const HashRing& ring() const { return ring_; }
  const UpstreamHealth& health() const { return *health_; }
  UpstreamHealth& health() { return *health_; }
  RetryBudget& retry_budget() { return budget_; }

  // The outcome of a call to `target`; may eject it, which is logged and counted.
  void record_call(size_t target, bool failed, TimePoint now);

  resilience::CircuitBreaker& breaker() { return breaker_; }
  resilience::Bulkhead& bulkhead() { return bulkhead_; }
  // The next round-robin turn, counted over every thread's requests.
  size_t next_turn() { return turn_.fetch_add(1, std::memory_order_relaxed); }

  observe::Counter& retry_budget_exhausted() { return budget_exhausted_; }
  observe::Counter& panics() { return panics_; }

 private:
  SharedUpstream(const spec::UpstreamSpec& spec, std::vector<UpstreamTarget> targets,
                 observe::Registry& metrics);

  std::string name_;
  std::vector<UpstreamTarget> targets_;
  std::optional<spec::HealthCheckSpec> check_spec_;
  HashRing ring_;
  std::shared_ptr<UpstreamHealth> health_;  // shared with the checker's loop
  RetryBudget budget_;
  std::shared_ptr<HealthChecker> checker_;
  observe::Registry& metrics_;
  std::vector<observe::Counter*> ejections_;  // per target
  observe::Counter& budget_exhausted_;
  observe::Counter& panics_;
  resilience::Bulkhead bulkhead_;
  resilience::CircuitBreaker breaker_;
  std::atomic<size_t> turn_{0};
};

// One SharedUpstream per spec'd upstream, health checks started on
// `checker_executor`: what a gateway creates once and hands to the
// Upstream of each of its threads.
Result<std::map<std::string, std::shared_ptr<SharedUpstream>>> make_shared_upstreams(
    const std::vector<spec::UpstreamSpec>& upstreams, asio::any_io_executor checker_executor,
    observe::Registry& metrics);

}  // namespace junction::gateway
