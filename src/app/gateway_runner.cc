#include "app/gateway_runner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

namespace junction::app {
namespace {

// Holds the gateway for as long as the streamed request runs, so a reload
// can replace the slot's gateway under it.
asio::awaitable<void> stream_on(std::shared_ptr<gateway::Gateway> g, http::RequestStream& stream,
                                const http::RequestInfo& info) {
  co_await g->handle_stream(stream, info);
}

std::vector<std::string> listener_changes(const http::ServerOptions& was,
                                          const http::ServerOptions& now) {
  std::vector<std::string> out;
  if (was.host != now.host || was.port != now.port) out.push_back("listen");
  auto tls_files = [](const http::ServerOptions& o) {
    return o.tls ? o.tls->cert_file + "\n" + o.tls->key_file + "\n" + o.tls->client_ca_file : "";
  };
  if (tls_files(was) != tls_files(now)) out.push_back("tls");
  const auto& a = was.limits;
  const auto& b = now.limits;
  if (a.max_body_bytes != b.max_body_bytes || a.max_header_bytes != b.max_header_bytes ||
      a.max_header_count != b.max_header_count) {
    out.push_back("limits");
  }
  return out;
}

}  // namespace

Result<GatewayRunner::Built> GatewayRunner::build(const spec::Spec& spec,
                                                  const std::vector<Worker>& workers) {
  if (!spec.gateway) return Error::invalid("the spec has no gateway section");
  Built out;
  // Background work (health checks) runs on the first I/O thread.
  auto shared = gateway::GatewayShared::create(*spec.gateway, spec.upstreams, metrics_,
                                               workers[0].ctx->get_executor(), shared_.get());
  if (!shared) return Error::invalid("gateway: " + shared.error().message());
  out.shared = std::move(*shared);
  for (const auto& w : workers) {
    auto created = gateway::Gateway::create(*spec.gateway, spec.upstreams, w.ctx->get_executor(),
                                            metrics_, store_, flow_targets_, out.shared);
    if (!created) {
      out.shared->stop(shared_.get());  // leaves a JWKS fetcher shared with the running one
      return Error::invalid("gateway: " + created.error().message());
    }
    out.gateways.push_back(std::move(*created));
  }
  return out;
}

std::unique_ptr<GatewayRunner> GatewayRunner::create(
    const spec::Spec& spec, IoThreads& io, observe::Registry& metrics, observe::Health& health,
    log::Store* store, std::shared_ptr<gateway::FlowTargets> flow_targets, std::string& error) {
  std::unique_ptr<GatewayRunner> runner(
      new GatewayRunner(metrics, health, store, std::move(flow_targets)));
  std::vector<Worker> workers(io.size());
  for (size_t i = 0; i < workers.size(); ++i) workers[i].ctx = &io.context(i);
  auto built = runner->build(spec, workers);
  if (!built) {
    error = built.error().message();
    return nullptr;
  }
  runner->shared_ = built->shared;
  auto& gateways = built->gateways;
  runner->listener_ = gateways[0]->server_options();
  runner->listener_.streaming = {};
  uint16_t bound = 0;
  for (size_t i = 0; i < workers.size(); ++i) {
    Worker& w = workers[i];
    w.slot = std::make_shared<Slot>();
    w.slot->current = std::move(gateways[i]);
    http::Handler handler = [slot = w.slot](http::Request& req, const http::RequestInfo& info) {
      // The gateway is held by the request, so a reload can replace the slot's.
      gateway::Gateway& g = *slot->current;
      return g.handle(req, info, slot->current);
    };
    http::ServerOptions options = runner->listener_;
    // Streaming requests reach the gateway through the slot too, so that a
    // reload adding or removing streaming routes applies to them.
    options.streaming.select = [slot = w.slot](const http::RequestHeader& h) {
      return slot->current->stream_limit(h);
    };
    options.streaming.handler = [slot = w.slot](http::RequestStream& s,
                                                const http::RequestInfo& i) {
      return stream_on(slot->current, s, i);
    };
    if (workers.size() > 1) {
      options.reuse_port = true;
      // The first listener picks the port when the spec leaves it to the
      // system (port 0); the others join it.
      if (i > 0) {
        options.port = bound;
        options.join_reused_port = true;
      }
    }
    w.server = std::make_unique<http::Server>(*w.ctx, std::move(options), handler);
    auto port = w.server->listen();
    if (!port.ok()) {
      error = "gateway listener " + spec.gateway->listen + ": " + port.error().message();
      return nullptr;
    }
    bound = *port;
  }
  runner->workers_ = std::move(workers);
  spdlog::info("gateway listening on {}:{} ({} routes, {} threads)", spec.gateway->host, bound,
               spec.gateway->routes.size(), runner->workers_.size());
  return runner;
}

// The servers go first: their handlers call into the gateways. A server's
// state may outlive it in handlers still queued on its io_context, holding
// the slot; so the gateways and their shared state are released here, while
// the metrics registry and the io_contexts they refer to still exist.
GatewayRunner::~GatewayRunner() {
  for (auto& w : workers_) w.server.reset();
  for (auto& w : workers_) w.slot->current.reset();
  shared_.reset();
}

void GatewayRunner::start() {
  {
    // First: it registers its own readiness (the JWKS, not fetched yet), so
    // readiness can never be true for a moment before the keys are in.
    std::lock_guard lock(reload_mu_);
    shared_->start(health_);
  }
  health_.set_ready("gateway", true);
  for (auto& w : workers_) w.server->start();
}

void GatewayRunner::stop(Duration drain, std::function<void()> done) {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard lock(reload_mu_);
    shared_->stop();  // background work first: it would keep an I/O thread busy
  }
  health_.set_ready("gateway", false, "stopping");
  // Each server drains on its own thread; the last to finish calls `done`.
  auto left = std::make_shared<std::atomic<size_t>>(workers_.size());
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& w : workers_) {
    asio::co_spawn(*w.ctx, w.server->shutdown(drain), [left, finish](std::exception_ptr) {
      if (left->fetch_sub(1) == 1) (*finish)();
    });
  }
}

Result<std::vector<std::string>> GatewayRunner::reload(const spec::Spec& spec) {
  std::lock_guard lock(reload_mu_);
  if (stopping_) return Error::invalid("the gateway is stopping");
  auto built = build(spec, workers_);
  if (!built) return built.error();
  std::vector<std::string> warnings;
  for (const auto& what : listener_changes(listener_, built->gateways[0]->server_options())) {
    warnings.push_back("the gateway's " + what + " changed; it takes effect on restart");
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    // The old gateway is released on its own thread: its upstream clients
    // are bound there.
    asio::post(*workers_[i].ctx,
               [slot = workers_[i].slot, g = std::move(built->gateways[i])]() mutable {
                 std::swap(slot->current, g);
               });
  }
  shared_->stop(built->shared.get());  // the old health checks; requests in flight need none
  shared_ = std::move(built->shared);
  shared_->start(health_);
  spdlog::info("gateway reloaded: {} routes, {} upstreams", spec.gateway->routes.size(),
               spec.upstreams.size());
  return warnings;
}

}  // namespace junction::app
