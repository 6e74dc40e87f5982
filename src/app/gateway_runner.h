#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/units.h"
#include "gateway/gateway.h"
#include "http/server.h"
#include "observe/health.h"
#include "observe/metrics.h"
#include "spec/spec.h"

namespace junction::app {

namespace asio = boost::asio;

// The spec's gateway and the server it answers on, on one io_context (run by
// one thread: the upstream clients are bound to it).
class GatewayRunner {
 public:
  // Builds the gateway and binds its listener; logs "gateway listening on
  // H:P" with the bound port. Null, with `error` set, when either fails.
  static std::unique_ptr<GatewayRunner> create(const spec::Spec& spec, asio::io_context& ctx,
                                               observe::Registry& metrics, observe::Health& health,
                                               log::Store* store,
                                               std::shared_ptr<gateway::FlowTargets> flow_targets,
                                               std::string& error);
  ~GatewayRunner();

  void start();
  // Stops accepting and lets in-flight requests finish for up to `drain`;
  // then calls `done` (on the io_context). Later calls do nothing.
  void stop(Duration drain, std::function<void()> done);

 private:
  GatewayRunner(asio::io_context& ctx, observe::Health& health) : ctx_(ctx), health_(health) {}

  asio::io_context& ctx_;
  observe::Health& health_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::unique_ptr<http::Server> server_;
  std::atomic<bool> stopping_{false};
};

}  // namespace junction::app
