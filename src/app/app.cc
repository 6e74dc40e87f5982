#include "app/app.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include "app/flow_builder.h"
#include "app/gateway_runner.h"
#include "app/observability_server.h"
#include "app/open_log.h"
#include "core/executor.h"
#include "gateway/flow_target.h"
#include "log/store.h"
#include "observe/health.h"
#include "observe/metrics.h"

namespace junction::app {
namespace {

// What the main thread waits on: every flow's end, or a drain deadline.
struct Completion {
  std::mutex mu;
  std::condition_variable cv;
  size_t running = 0;
  bool failed = false;
  bool drain_timed_out = false;

  void flow_ended(bool ok) {
    std::lock_guard lock(mu);
    if (!ok) failed = true;
    --running;
    cv.notify_all();
  }
  void timed_out() {
    std::lock_guard lock(mu);
    drain_timed_out = true;
    cv.notify_all();
  }
};

}  // namespace

int run_spec(const spec::Spec& spec, const flow::ComponentRegistry& registry,
             const RunOptions& options) {
  const auto& cpus = cpu::usable();
  size_t threads = options.io_threads ? options.io_threads : std::max<size_t>(1, cpus.size());
  IoThreads io(threads);
  BlockingPool blocking(std::max<size_t>(1, options.blocking_threads));
  observe::Registry metrics;
  observe::Health health;

  std::unique_ptr<log::Store> store;
  if (!spec.topics.empty()) {
    auto opened = open_log(spec, options.repair);
    if (!opened) {
      spdlog::error("embedded log in {}: {}", spec.storage.dir.string(), opened.error().message());
      return 1;
    }
    store = std::move(*opened);
    store->attach_metrics(metrics);
  }

  // Flows with a `gateway` input register here as they open; the gateway's
  // flow targets look them up.
  std::shared_ptr<gateway::FlowTargets> flow_targets;
  if (spec.gateway) flow_targets = std::make_shared<gateway::FlowTargets>();

  spec::Diagnostics diags;
  BuildEnv env;
  env.store = store.get();
  env.flow_targets = flow_targets.get();
  env.next_executor = [&io]() -> asio::any_io_executor { return io.next().get_executor(); };
  env.blocking = &blocking;
  env.metrics = &metrics;
  env.health = &health;
  auto built = build_flows(spec, registry, env, diags);
  if (!diags.ok()) {
    spdlog::error("spec {} has errors:\n{}", spec.file.string(), diags.format());
    return 1;
  }

  std::unique_ptr<http::Server> observability;
  std::unique_ptr<RemoteMembers> remote_members;
  if (!spec.observability.listen.empty()) {
    std::string error;
    if (store)
      remote_members = std::make_unique<RemoteMembers>(*store, io.context(0).get_executor());
    observability = make_observability_server(io.context(0), spec.observability.listen, metrics,
                                              health, store.get(), remote_members.get(), error);
    if (!observability) {
      spdlog::error("{}", error);
      return 1;
    }
    auto port = observability->listen();
    if (!port.ok()) {
      spdlog::error("observability listener {}: {}", spec.observability.listen,
                    port.error().message());
      return 1;
    }
    spdlog::info("observability on {} (port {}): /metrics /health/live /health/ready",
                 spec.observability.listen, *port);
  }

  // Made before the gateway announces its port, so that a signal sent the
  // moment it does is queued here rather than ending the process (an e2e
  // run caught a SIGTERM killing it in that window).
  asio::signal_set hangups(io.context(0), SIGHUP);
  asio::signal_set signals(io.context(0), SIGINT, SIGTERM);
  std::unique_ptr<GatewayRunner> gateway;
  if (spec.gateway) {
    std::string error;
    gateway = GatewayRunner::create(spec, io, metrics, health, store.get(), flow_targets, error);
    if (!gateway) {
      spdlog::error("{}", error);
      return 1;
    }
  }

  std::vector<std::unique_ptr<flow::Flow>> flows;
  for (auto& b : built) {
    flows.push_back(std::make_unique<flow::Flow>(std::move(b.parts), b.executor, metrics));
  }

  Completion done;
  // The gateway counts as one running unit, ended once its in-flight
  // requests are answered.
  done.running = flows.size() + (gateway ? 1 : 0);
  std::vector<int> placement = cpu::placement(options.cpu_affinity, threads, cpus);
  for (const auto& error : io.start(placement)) {
    spdlog::warn("an I/O thread runs unpinned: {}", error);
  }
  if (!placement.empty()) {
    spdlog::info("{} I/O threads pinned to CPUs {}", threads, fmt::join(placement, ","));
  }
  // Not ready until every component has registered its own readiness: a
  // process with no component reported would read as ready meanwhile.
  constexpr std::string_view kStartup = "startup";
  health.set_ready(std::string(kStartup), false, "starting");
  if (observability) observability->start();
  if (gateway) gateway->start();

  GatewayRunner* gw = gateway.get();
  Duration drain = options.drain_timeout;
  Completion* completion = &done;
  auto stop_all = [&flows, gw, drain, completion] {
    for (auto& f : flows) f->stop();
    if (gw) gw->stop(drain, [completion] { completion->flow_ended(true); });
  };

  // Signals: the first drains, a second one exits at once.
  asio::steady_timer drain_timer(io.context(0));
  int signals_seen = 0;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (++signals_seen > 1) {
          spdlog::warn("second signal: exiting without draining");
          std::_Exit(130);
        }
        spdlog::info("signal {}: stopping inputs, draining in-flight messages (up to {})", signo,
                     format_duration(options.drain_timeout));
        stop_all();
        drain_timer.expires_after(options.drain_timeout);
        drain_timer.async_wait([&done](const boost::system::error_code& e) {
          if (!e) done.timed_out();
        });
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  // SIGHUP: the spec file is read again off the I/O threads, and the
  // gateway's routes and upstreams are swapped in without dropping requests.
  std::function<void(const boost::system::error_code&, int)> on_hangup =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        hangups.async_wait(on_hangup);
        if (!gw || !options.reload) {
          spdlog::info("SIGHUP: nothing to reload (only a gateway's routes and upstreams reload)");
          return;
        }
        asio::post(blocking.pool(), [gw, reload = options.reload] {
          std::string errors;
          auto fresh = reload(errors);
          if (!fresh) {
            spdlog::error("SIGHUP: the spec does not load; the gateway keeps its routes:\n{}",
                          errors);
            return;
          }
          auto reloaded = gw->reload(*fresh);
          if (!reloaded) {
            spdlog::error("SIGHUP: {}; the gateway keeps its routes", reloaded.error().message());
            return;
          }
          for (const auto& w : *reloaded) spdlog::warn("SIGHUP: {}", w);
        });
      };
  hangups.async_wait(on_hangup);

  for (size_t i = 0; i < flows.size(); ++i) {
    auto* f = flows[i].get();
    std::string component = "flow:" + f->name();
    health.set_ready(component, true);
    asio::co_spawn(built[i].executor, f->run(),
                   [&, component, stop_all](std::exception_ptr ep, Status status) {
                     bool ok = !ep && status.ok();
                     if (ep) spdlog::error("{}: crashed with an exception", component);
                     health.set_ready(component, false, ok ? "ended" : "failed");
                     if (!ok) stop_all();  // one broken flow takes the process down, visibly
                     done.flow_ended(ok);
                   });
  }
  health.remove(std::string(kStartup));

  bool timed_out = false;
  bool failed = false;
  {
    std::unique_lock lock(done.mu);
    done.cv.wait(lock, [&] { return done.running == 0 || done.drain_timed_out; });
    timed_out = done.drain_timed_out && done.running > 0;
    failed = done.failed;
  }
  if (timed_out) {
    spdlog::error("drain deadline passed with messages in flight; they stay unacknowledged");
    for (const auto& f : flows) {
      if (auto phase = f->phase(); phase != "stopped") {
        spdlog::error("flow {}: still {}", f->name(), phase);
      }
    }
    std::_Exit(2);  // the flows' coroutines still hold state: do not unwind under them
  }

  if (observability) {
    auto f = asio::co_spawn(io.context(0), observability->shutdown(std::chrono::seconds(1)),
                            asio::use_future);
    f.wait();
  }
  asio::post(io.context(0), [&] {
    signals.cancel();
    hangups.cancel();
    drain_timer.cancel();
    if (remote_members) remote_members->close();  // their last commits, before the store closes
  });
  io.stop_and_join();
  blocking.join();
  flows.clear();
  if (store) store->close();  // writes what is queued, including the last offset commits
  return failed ? 1 : 0;
}

}  // namespace junction::app
