#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "gateway/upstream_health.h"
#include "http/client.h"
#include "http/url.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

namespace asio = boost::asio;

// The active health checks of one named upstream: one loop, on one
// executor, that every `interval` sends a GET of the check path to every
// target at once and reports each verdict to the shared UpstreamHealth.
// A check passes on a status within expect_status before `timeout`.
//
// Each gateway thread proxying to the upstream reads the verdicts; only this
// loop checks, so the targets see one checker per gateway, not one per thread.
class HealthChecker : public std::enable_shared_from_this<HealthChecker> {
 public:
  struct Target {
    std::string name;  // as written in the spec: logs only
    http::Url url;     // its target the check path, under the base path
  };

  // `executor` must run on one thread (an io_context run by one thread, or a
  // strand): the loop's client and timer are not thread-safe.
  static std::shared_ptr<HealthChecker> create(std::string upstream, std::vector<Target> targets,
                                               const spec::HealthCheckSpec& spec,
                                               std::shared_ptr<UpstreamHealth> health,
                                               asio::any_io_executor executor);
  ~HealthChecker();

  // Starts the loop; the first round runs at once.
  void start();
  // Ends the loop: at once when it waits for the next round, else when the
  // checks in flight end, within `timeout`; their verdicts are dropped. The
  // loop owns a reference to the checker, so stop() may be called from any
  // thread and the owner may let go of the checker right after.
  void stop();

 private:
  HealthChecker(std::string upstream, std::vector<Target> targets,
                const spec::HealthCheckSpec& spec, std::shared_ptr<UpstreamHealth> health,
                asio::any_io_executor executor);
  asio::awaitable<void> run();
  asio::awaitable<void> probe(size_t target);

  std::string upstream_;
  std::vector<Target> targets_;
  spec::HealthCheckSpec spec_;
  std::shared_ptr<UpstreamHealth> health_;
  asio::any_io_executor executor_;
  http::Client client_;
  asio::steady_timer timer_;  // the next round; or, during one, its last check ending
  size_t pending_ = 0;        // checks of the current round still in flight
  std::atomic<bool> stopped_{false};
};

}  // namespace junction::gateway
