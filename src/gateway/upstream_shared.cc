#include "gateway/upstream_shared.h"

#include <spdlog/spdlog.h>

namespace junction::gateway {
namespace {

constexpr const char* kHealthyGauge = "junction_gateway_upstream_target_healthy";
constexpr const char* kEjectedGauge = "junction_gateway_upstream_target_ejected";

std::optional<OutlierPolicy> outlier_policy(const spec::UpstreamSpec& spec) {
  if (!spec.outlier) return std::nullopt;
  OutlierPolicy p;
  p.consecutive_failures = spec.outlier->consecutive_failures;
  p.base_ejection = spec.outlier->base_ejection;
  p.max_ejection = spec.outlier->max_ejection;
  p.max_ejection_percent = spec.outlier->max_ejection_percent;
  return p;
}

HealthThresholds thresholds(const spec::UpstreamSpec& spec) {
  HealthThresholds t;
  if (spec.health_check) {
    t.healthy = spec.health_check->healthy_threshold;
    t.unhealthy = spec.health_check->unhealthy_threshold;
  }
  return t;
}

std::vector<std::string> names(const std::vector<UpstreamTarget>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) out.push_back(t.name);
  return out;
}

observe::Labels target_labels(const std::string& upstream, const std::string& target) {
  return {{"upstream", upstream}, {"target", target}};
}

resilience::CircuitBreakerConfig breaker_config(const spec::UpstreamSpec& spec) {
  resilience::CircuitBreakerConfig c;
  c.window = resilience::CircuitBreakerConfig::Window::kLastCalls;
  c.window_calls = spec.window;
  c.minimum_calls = spec.minimum_calls;
  c.failure_rate_threshold = spec.failure_rate;
  c.slow_call_duration = spec.timeout;
  c.wait_in_open = spec.wait_in_open;
  c.permitted_in_half_open = spec.half_open_calls;
  return c;
}

}  // namespace

Result<std::shared_ptr<SharedUpstream>> SharedUpstream::create(const spec::UpstreamSpec& spec,
                                                               observe::Registry& metrics) {
  std::vector<UpstreamTarget> targets;
  for (const auto& text : spec.targets) {
    auto url = http::parse_url(text);
    if (!url) return Error::invalid("upstream " + spec.name + ": " + url.error().message());
    if (url->target.find('?') != std::string::npos) {
      return Error::invalid("upstream " + spec.name + ": a target may not have a query");
    }
    UpstreamTarget t{text, *url, url->target, url->origin(), url->host_header()};
    while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
    targets.push_back(std::move(t));
  }
  if (targets.empty()) return Error::invalid("upstream " + spec.name + " has no targets");
  return std::shared_ptr<SharedUpstream>(new SharedUpstream(spec, std::move(targets), metrics));
}

SharedUpstream::SharedUpstream(const spec::UpstreamSpec& spec, std::vector<UpstreamTarget> targets,
                               observe::Registry& metrics)
    : name_(spec.name),
      targets_(std::move(targets)),
      check_spec_(spec.health_check),
      ring_(names(targets_)),
      health_(std::make_shared<UpstreamHealth>(targets_.size(), thresholds(spec),
                                               outlier_policy(spec))),
      budget_(spec.retry_budget, spec.retry_min_per_second, resilience::Clock::now()),
      metrics_(metrics),
      budget_exhausted_(metrics.counter("junction_gateway_upstream_retry_budget_exhausted_total",
                                        "retries not made because the retry budget was spent",
                                        {{"upstream", spec.name}})),
      panics_(metrics.counter("junction_gateway_upstream_panic_total",
                              "calls sent to a target out of rotation because all were",
                              {{"upstream", spec.name}})),
      bulkhead_(spec.max_concurrent),
      breaker_(breaker_config(spec),
               [name = spec.name,
                &gauge = metrics.gauge("junction_gateway_upstream_circuit_state",
                                       "circuit breaker state: 0 closed, 1 open, 2 half-open",
                                       {{"upstream", spec.name}})](resilience::CircuitState from,
                                                                   resilience::CircuitState to) {
                 gauge.set(static_cast<double>(to));
                 spdlog::warn("upstream {}: circuit {} -> {}", name, resilience::to_string(from),
                              resilience::to_string(to));
               }) {
  for (size_t i = 0; i < targets_.size(); ++i) {
    const auto labels = target_labels(name_, targets_[i].name);
    ejections_.push_back(&metrics.counter("junction_gateway_upstream_ejections_total",
                                          "targets ejected after consecutive failures", labels));
    UpstreamHealth* health = health_.get();
    metrics.gauge_fn(kHealthyGauge, "1 while a target passes its health checks (or has none)",
                     labels, [health, i] { return health->healthy(i) ? 1.0 : 0.0; });
    metrics.gauge_fn(
        kEjectedGauge, "1 while a target is ejected after consecutive failures", labels,
        [health, i] { return health->ejected(i, resilience::Clock::now()) ? 1.0 : 0.0; });
  }
}

SharedUpstream::~SharedUpstream() {
  stop();
  for (const auto& t : targets_) {
    metrics_.remove_gauge_fn(kHealthyGauge, target_labels(name_, t.name));
    metrics_.remove_gauge_fn(kEjectedGauge, target_labels(name_, t.name));
  }
}

void SharedUpstream::start(asio::any_io_executor executor) {
  if (!check_spec_ || checker_) return;
  std::vector<HealthChecker::Target> targets;
  for (const auto& t : targets_) {
    http::Url url = t.url;
    url.target = t.base_path + check_spec_->path;
    targets.push_back({t.name, std::move(url)});
  }
  checker_ =
      HealthChecker::create(name_, std::move(targets), *check_spec_, health_, std::move(executor));
  checker_->start();
}

void SharedUpstream::stop() {
  if (checker_) checker_->stop();
}

void SharedUpstream::record_call(size_t target, bool failed, TimePoint now) {
  auto ejected = health_->record_call(target, failed, now);
  if (!ejected) return;
  ejections_[target]->inc();
  spdlog::warn("upstream {}: target {} ejected for {} after consecutive failures", name_,
               targets_[target].name, format_duration(*ejected));
}

Result<std::map<std::string, std::shared_ptr<SharedUpstream>>> make_shared_upstreams(
    const std::vector<spec::UpstreamSpec>& upstreams, asio::any_io_executor checker_executor,
    observe::Registry& metrics) {
  std::map<std::string, std::shared_ptr<SharedUpstream>> out;
  for (const auto& u : upstreams) {
    auto shared = SharedUpstream::create(u, metrics);
    if (!shared) return shared.error();
    out[u.name] = std::move(*shared);
  }
  // Started only once all were built: an error above leaves nothing running.
  for (auto& [name, shared] : out) shared->start(checker_executor);
  return out;
}

}  // namespace junction::gateway
