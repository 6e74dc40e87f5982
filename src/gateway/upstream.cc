#include "gateway/upstream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

namespace junction::gateway {
namespace {

using resilience::CircuitState;
using resilience::Clock;

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

http::ClientOptions client_options(const spec::UpstreamSpec& spec) {
  http::ClientOptions o;
  o.request_timeout = spec.timeout;
  o.connect_timeout = std::min<Duration>(spec.timeout, std::chrono::seconds(5));
  return o;
}

// A gateway status that says the upstream did not process the request.
bool unprocessed(unsigned status) {
  return status == 502 || status == 503 || status == 504;
}

// A streamed answer's body, holding the call's bulkhead slot: a relay still
// moving bytes is a call in flight.
class PermittedBody final : public http::BodySource {
 public:
  PermittedBody(std::unique_ptr<http::BodySource> body, resilience::Bulkhead::Permit permit)
      : body_(std::move(body)), permit_(std::move(permit)) {}

  asio::awaitable<Result<size_t>> read_some(std::span<char> into) override {
    auto n = co_await body_->read_some(into);
    if (!n || *n == 0) permit_.release();
    co_return n;
  }

 private:
  std::unique_ptr<http::BodySource> body_;
  resilience::Bulkhead::Permit permit_;
};

// Notes when a streamed request body ended, so that the breaker judges the
// upstream by its time to answer, not by how long the client took to upload.
class BodyEndClock final : public http::BodySource {
 public:
  explicit BodyEndClock(http::BodySource& body) : body_(body) {}

  asio::awaitable<Result<size_t>> read_some(std::span<char> into) override {
    auto n = co_await body_.read_some(into);
    if (n && *n == 0 && !ended_) ended_ = Clock::now();
    co_return n;
  }

  std::optional<Clock::time_point> ended() const { return ended_; }

 private:
  http::BodySource& body_;
  std::optional<Clock::time_point> ended_;
};

}  // namespace

UpstreamGuards::UpstreamGuards(const spec::UpstreamSpec& spec, observe::Registry& metrics)
    : bulkhead(spec.max_concurrent),
      breaker(
          breaker_config(spec),
          [name = spec.name,
           &gauge = metrics.gauge("junction_gateway_upstream_circuit_state",
                                  "circuit breaker state: 0 closed, 1 open, 2 half-open",
                                  {{"upstream", spec.name}})](CircuitState from, CircuitState to) {
            gauge.set(static_cast<double>(to));
            spdlog::warn("upstream {}: circuit {} -> {}", name, resilience::to_string(from),
                         resilience::to_string(to));
          }) {}

Result<std::unique_ptr<Upstream>> Upstream::create(const spec::UpstreamSpec& spec,
                                                   asio::any_io_executor executor,
                                                   observe::Registry& metrics,
                                                   std::shared_ptr<UpstreamGuards> guards) {
  std::vector<Target> targets;
  for (const auto& text : spec.targets) {
    auto url = http::parse_url(text);
    if (!url) return Error::invalid("upstream " + spec.name + ": " + url.error().message());
    Target t{*url, url->target, 0};
    if (url->target.find('?') != std::string::npos) {
      return Error::invalid("upstream " + spec.name + ": a target may not have a query");
    }
    while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
    targets.push_back(std::move(t));
  }
  if (targets.empty()) return Error::invalid("upstream " + spec.name + " has no targets");
  if (!guards) guards = std::make_shared<UpstreamGuards>(spec, metrics);
  return std::unique_ptr<Upstream>(
      new Upstream(spec, std::move(executor), metrics, std::move(targets), std::move(guards)));
}

Upstream::Upstream(const spec::UpstreamSpec& spec, asio::any_io_executor executor,
                   observe::Registry& metrics, std::vector<Target> targets,
                   std::shared_ptr<UpstreamGuards> guards)
    : name_(spec.name),
      executor_(executor),
      targets_(std::move(targets)),
      balance_(spec.balance),
      timeout_(spec.timeout),
      attempts_(spec.attempts),
      backoff_(spec.backoff, spec.max_backoff),
      guards_(std::move(guards)),
      bulkhead_(guards_->bulkhead),
      breaker_(guards_->breaker),
      client_(executor, client_options(spec)),
      retries_(metrics.counter("junction_gateway_upstream_retries_total",
                               "retried calls to an upstream", {{"upstream", spec.name}})),
      failures_(metrics.counter("junction_gateway_upstream_failures_total",
                                "calls that failed: no answer, a timeout, or a 502/503/504",
                                {{"upstream", spec.name}})),
      latency_(metrics.histogram("junction_gateway_upstream_latency_seconds",
                                 "time of one call to an upstream", {{"upstream", spec.name}})) {
  constexpr std::array<const char*, 5> kClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  for (size_t i = 0; i < kClasses.size(); ++i) {
    by_class_[i] = &metrics.counter("junction_gateway_upstream_responses_total",
                                    "upstream answers by status class",
                                    {{"upstream", spec.name}, {"class", kClasses[i]}});
  }
}

Upstream::~Upstream() = default;

CircuitState Upstream::circuit_state() {
  return breaker_.state(Clock::now());
}

size_t Upstream::pick() {
  if (balance_ == spec::Balance::kLeastRequest) {
    // Ties go round robin, so idle targets share the load.
    size_t best = guards_->next_target.fetch_add(1, std::memory_order_relaxed) % targets_.size();
    for (size_t i = 0; i < targets_.size(); ++i) {
      size_t c = (best + i) % targets_.size();
      if (targets_[c].in_flight < targets_[best].in_flight) best = c;
    }
    return best;
  }
  return guards_->next_target.fetch_add(1, std::memory_order_relaxed) % targets_.size();
}

asio::awaitable<UpstreamResult> Upstream::attempt(http::Request& req) {
  UpstreamResult result;
  auto start = Clock::now();
  if (!breaker_.acquire(start)) {
    result.outcome = UpstreamResult::Outcome::kCircuitOpen;
    co_return result;
  }
  Target& target = targets_[pick()];
  http::Url url = target.url;
  url.target = target.base_path + std::string(req.target());
  ++target.in_flight;
  auto sent = co_await client_.send(url, req);
  --target.in_flight;
  auto end = Clock::now();
  Duration took = std::chrono::duration_cast<Duration>(end - start);
  latency_.observe(took);
  if (!sent) {
    breaker_.record_failure(end, took);
    failures_.inc();
    bool timed_out = took >= timeout_;
    result.outcome =
        timed_out ? UpstreamResult::Outcome::kTimeout : UpstreamResult::Outcome::kFailed;
    spdlog::debug("upstream {}: {}", name_, sent.error().message());
    co_return result;
  }
  by_class_[std::min<unsigned>(std::max<unsigned>(sent->result_int(), 100), 599) / 100 - 1]->inc();
  if (unprocessed(sent->result_int())) {
    breaker_.record_failure(end, took);
    failures_.inc();
  } else {
    breaker_.record_success(end, took);
  }
  result.outcome = UpstreamResult::Outcome::kResponse;
  result.response = std::move(*sent);
  co_return result;
}

asio::awaitable<UpstreamResult> Upstream::forward(http::Request req, bool idempotent) {
  auto permit = bulkhead_.try_enter();
  if (!permit) {
    UpstreamResult full;
    full.outcome = UpstreamResult::Outcome::kBulkheadFull;
    co_return full;
  }
  int allowed = idempotent ? attempts_ : 1;
  UpstreamResult result;
  for (int n = 1;; ++n) {
    result = co_await attempt(req);
    result.attempts = n;
    bool retry = result.outcome == UpstreamResult::Outcome::kFailed ||
                 result.outcome == UpstreamResult::Outcome::kTimeout ||
                 (result.outcome == UpstreamResult::Outcome::kResponse &&
                  unprocessed(result.response.result_int()));
    if (!retry || n >= allowed) break;
    retries_.inc();
    asio::steady_timer timer(executor_, backoff_.delay(n));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return result;
}

asio::awaitable<UpstreamResult> Upstream::open_attempt(http::Request& req, http::BodySource* body) {
  UpstreamResult result;
  auto start = Clock::now();
  if (!breaker_.acquire(start)) {
    result.outcome = UpstreamResult::Outcome::kCircuitOpen;
    co_return result;
  }
  Target& target = targets_[pick()];
  http::Url url = target.url;
  url.target = target.base_path + std::string(req.target());
  ++target.in_flight;
  std::optional<BodyEndClock> timed;
  if (body) timed.emplace(*body);
  http::BodySource* source = timed ? &*timed : nullptr;
  auto opened = co_await client_.open(url, req, source);
  --target.in_flight;
  auto end = Clock::now();
  auto judged_from = timed && timed->ended() ? *timed->ended() : start;
  Duration took = std::chrono::duration_cast<Duration>(end - judged_from);
  latency_.observe(took);
  if (!opened) {
    breaker_.record_failure(end, took);
    failures_.inc();
    bool timed_out = took >= timeout_;
    result.outcome =
        timed_out ? UpstreamResult::Outcome::kTimeout : UpstreamResult::Outcome::kFailed;
    spdlog::debug("upstream {}: {}", name_, opened.error().message());
    co_return result;
  }
  unsigned status = opened->head.result_int();
  by_class_[std::min<unsigned>(std::max<unsigned>(status, 100), 599) / 100 - 1]->inc();
  if (unprocessed(status)) {
    breaker_.record_failure(end, took);
    failures_.inc();
  } else {
    breaker_.record_success(end, took);
  }
  result.outcome = UpstreamResult::Outcome::kResponse;
  result.response = std::move(opened->head);
  result.body = std::move(opened->body);
  co_return result;
}

asio::awaitable<UpstreamResult> Upstream::open(http::Request req, http::BodySource* body,
                                               bool idempotent) {
  auto permit = bulkhead_.try_enter();
  if (!permit) {
    UpstreamResult full;
    full.outcome = UpstreamResult::Outcome::kBulkheadFull;
    co_return full;
  }
  int allowed = idempotent && body == nullptr ? attempts_ : 1;
  UpstreamResult result;
  for (int n = 1;; ++n) {
    result = co_await open_attempt(req, body);
    result.attempts = n;
    bool retry = result.outcome == UpstreamResult::Outcome::kFailed ||
                 result.outcome == UpstreamResult::Outcome::kTimeout ||
                 (result.outcome == UpstreamResult::Outcome::kResponse &&
                  unprocessed(result.response.result_int()));
    if (!retry || n >= allowed) break;
    result.body.reset();  // closes the connection of the answer given up on
    retries_.inc();
    asio::steady_timer timer(executor_, backoff_.delay(n));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (result.body) {
    result.body = std::make_unique<PermittedBody>(std::move(result.body), std::move(*permit));
  }
  co_return result;
}

}  // namespace junction::gateway
