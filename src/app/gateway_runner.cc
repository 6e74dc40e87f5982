#include "app/gateway_runner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>

namespace junction::app {

std::unique_ptr<GatewayRunner> GatewayRunner::create(
    const spec::Spec& spec, asio::io_context& ctx, observe::Registry& metrics,
    observe::Health& health, log::Store* store, std::shared_ptr<gateway::FlowTargets> flow_targets,
    std::string& error) {
  std::unique_ptr<GatewayRunner> runner(new GatewayRunner(ctx, health));
  auto created = gateway::Gateway::create(*spec.gateway, spec.upstreams, ctx.get_executor(),
                                          metrics, store, std::move(flow_targets));
  if (!created) {
    error = "gateway: " + created.error().message();
    return nullptr;
  }
  runner->gateway_ = std::move(*created);
  gateway::Gateway* g = runner->gateway_.get();
  http::Handler handler = [g](http::Request& req, const http::RequestInfo& info) {
    return g->handle(req, info);
  };
  runner->server_ = std::make_unique<http::Server>(ctx, g->server_options(), handler);
  auto port = runner->server_->listen();
  if (!port.ok()) {
    error = "gateway listener " + spec.gateway->listen + ": " + port.error().message();
    return nullptr;
  }
  spdlog::info("gateway listening on {}:{} ({} routes)", spec.gateway->host, *port,
               spec.gateway->routes.size());
  return runner;
}

// The server goes first: its handler calls into the gateway.
GatewayRunner::~GatewayRunner() {
  server_.reset();
}

void GatewayRunner::start() {
  health_.set_ready("gateway", true);
  server_->start();
}

void GatewayRunner::stop(Duration drain, std::function<void()> done) {
  if (stopping_.exchange(true)) return;
  health_.set_ready("gateway", false, "stopping");
  asio::co_spawn(ctx_, server_->shutdown(drain),
                 [done = std::move(done)](std::exception_ptr) { done(); });
}

}  // namespace junction::app
