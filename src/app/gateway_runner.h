#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/executor.h"
#include "core/units.h"
#include "gateway/gateway.h"
#include "http/server.h"
#include "observe/health.h"
#include "observe/metrics.h"
#include "spec/spec.h"

namespace junction::app {

namespace asio = boost::asio;

// The spec's gateway, served on every I/O thread the way Envoy's workers do
// it: each thread has its own Gateway (upstream connection pools, route
// table) and its own listener on the same port (SO_REUSEPORT), so a request
// never crosses threads. What must be one across threads lives in one
// gateway::GatewayShared.
class GatewayRunner {
 public:
  // Builds the gateways and binds their listeners, one per I/O thread; logs
  // "gateway listening on H:P" with the bound port. Null, with `error` set,
  // when either fails.
  static std::unique_ptr<GatewayRunner> create(const spec::Spec& spec, IoThreads& io,
                                               observe::Registry& metrics, observe::Health& health,
                                               log::Store* store,
                                               std::shared_ptr<gateway::FlowTargets> flow_targets,
                                               std::string& error);
  ~GatewayRunner();

  void start();
  // Stops accepting and lets in-flight requests finish for up to `drain`;
  // then calls `done` (on some I/O thread). Later calls do nothing.
  void stop(Duration drain, std::function<void()> done);

  // Swaps in the routes and upstreams of `spec` (SIGHUP): requests that
  // arrive afterwards see them; requests in flight finish on the gateway
  // they started on, which goes away with the last of them. The listeners
  // stay: a changed listen address, TLS or limits is reported in the
  // returned warnings and needs a restart. Rate-limit buckets start full.
  // Error::invalid (and nothing changes) when the new gateway cannot be
  // built. Blocks on file reads (JWKS, key lists): call it off the I/O
  // threads. Safe from any thread.
  Result<std::vector<std::string>> reload(const spec::Spec& spec);

 private:
  // One I/O thread's current gateway; read and replaced only on that thread.
  struct Slot {
    std::shared_ptr<gateway::Gateway> current;
  };
  struct Worker {
    asio::io_context* ctx = nullptr;
    std::shared_ptr<Slot> slot;
    std::unique_ptr<http::Server> server;
  };
  GatewayRunner(observe::Registry& metrics, observe::Health& health, log::Store* store,
                std::shared_ptr<gateway::FlowTargets> flow_targets)
      : metrics_(metrics), health_(health), store_(store), flow_targets_(std::move(flow_targets)) {}

  struct Built {
    std::shared_ptr<gateway::GatewayShared> shared;
    std::vector<std::shared_ptr<gateway::Gateway>> gateways;  // one per worker
  };
  // One gateway per worker, all on one new GatewayShared whose background
  // work runs on the first worker's thread.
  Result<Built> build(const spec::Spec& spec, const std::vector<Worker>& workers);

  observe::Registry& metrics_;
  observe::Health& health_;
  log::Store* store_;
  std::shared_ptr<gateway::FlowTargets> flow_targets_;  // one for every gateway, reloads too
  std::vector<Worker> workers_;
  std::shared_ptr<gateway::GatewayShared> shared_;  // the current gateways'; under reload_mu_
  http::ServerOptions listener_;                    // as built; a reload cannot change it
  std::mutex reload_mu_;
  std::atomic<bool> stopping_{false};
};

}  // namespace junction::app
