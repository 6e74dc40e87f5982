#include "gateway/upstream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "core/coarse_clock.h"
#include "gateway/forward.h"

namespace junction::gateway {
namespace {

using resilience::CircuitState;
using resilience::Clock;

http::ClientOptions client_options(const spec::UpstreamSpec& spec) {
  http::ClientOptions o;
  o.request_timeout = spec.timeout;
  o.connect_timeout = std::min<Duration>(spec.timeout, std::chrono::seconds(5));
  o.max_idle_per_host = spec.idle_connections;
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

Result<std::unique_ptr<Upstream>> Upstream::create(const spec::UpstreamSpec& spec,
                                                   std::shared_ptr<SharedUpstream> shared,
                                                   asio::any_io_executor executor,
                                                   observe::Registry& metrics) {
  if (!shared || shared->name() != spec.name) {
    return Error::invalid("upstream " + spec.name + ": no shared state of that name");
  }
  return std::unique_ptr<Upstream>(
      new Upstream(spec, std::move(shared), std::move(executor), metrics));
}

Upstream::Upstream(const spec::UpstreamSpec& spec, std::shared_ptr<SharedUpstream> shared,
                   asio::any_io_executor executor, observe::Registry& metrics)
    : shared_(std::move(shared)),
      executor_(executor),
      in_flight_(shared_->targets().size(), 0),
      balance_(spec.balance),
      hash_header_(spec.hash_header),
      timeout_(spec.timeout),
      attempts_(spec.attempts),
      retry_methods_(spec.retry_methods),
      backoff_(spec.backoff, spec.max_backoff),
      bulkhead_(shared_->bulkhead()),
      breaker_(shared_->breaker()),
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
  usable_.reserve(in_flight_.size());
}

Upstream::~Upstream() = default;

bool Upstream::retryable(const http::Request& req) const {
  if (!retry_methods_) return idempotent(req.method());
  const auto method = req.method_string();
  return std::any_of(retry_methods_->begin(), retry_methods_->end(),
                     [&](const std::string& m) { return m == std::string_view(method); });
}

CircuitState Upstream::circuit_state() {
  return breaker_.state(Clock::now());
}

std::optional<uint64_t> Upstream::hash_key(const http::Request& req,
                                           std::string_view client) const {
  if (balance_ != spec::Balance::kHash) return std::nullopt;
  if (hash_header_.empty()) {
    if (client.empty()) return std::nullopt;
    return stable_hash(client);
  }
  auto it = req.find(hash_header_);
  if (it == req.end() || it->value().empty()) return std::nullopt;
  return stable_hash(std::string_view(it->value().data(), it->value().size()));
}

template <class Usable>
std::optional<size_t> Upstream::choose(std::optional<uint64_t> key, size_t turn, Usable&& usable) {
  if (balance_ == spec::Balance::kHash && key) return shared_->ring().pick(*key, usable);
  // Round robin over the targets in rotation, not over all of them: with
  // one of three out, skipping it would send its turns to its successor.
  usable_.clear();
  for (size_t t = 0; t < in_flight_.size(); ++t) {
    if (usable(t)) usable_.push_back(t);
  }
  if (usable_.empty()) return std::nullopt;
  const size_t first = turn % usable_.size();
  if (balance_ != spec::Balance::kLeastRequest) return usable_[first];
  // Ties go round robin, so idle targets share the load.
  size_t best = usable_[first];
  for (size_t i = 1; i < usable_.size(); ++i) {
    size_t t = usable_[(first + i) % usable_.size()];
    if (in_flight_[t] < in_flight_[best]) best = t;
  }
  return best;
}

size_t Upstream::pick(std::optional<uint64_t> key, size_t avoid) {
  const TimePoint now = coarse_steady_now();  // ejections last seconds
  const UpstreamHealth& health = shared_->health();
  const size_t turn = shared_->next_turn();
  auto fresh = [&](size_t t) { return t != avoid && health.available(t, now); };
  if (auto t = choose(key, turn, fresh)) return *t;
  auto in_rotation = [&](size_t t) { return health.available(t, now); };
  if (avoid != kNone) {
    if (auto t = choose(key, turn, in_rotation)) return *t;
  }
  shared_->panics().inc();
  auto any = [](size_t) { return true; };
  return *choose(key, turn, any);
}

UpstreamResult::Outcome Upstream::judge_failure(size_t target, TimePoint end, Duration took,
                                                const Error& error) {
  breaker_.record_failure(end, took);
  failures_.inc();
  shared_->record_call(target, true, end);
  spdlog::debug("upstream {}: {}", name(), error.message());
  return took >= timeout_ ? UpstreamResult::Outcome::kTimeout : UpstreamResult::Outcome::kFailed;
}

void Upstream::judge_answer(size_t target, unsigned status, TimePoint end, Duration took) {
  by_class_[std::min<unsigned>(std::max<unsigned>(status, 100), 599) / 100 - 1]->inc();
  if (unprocessed(status)) {
    breaker_.record_failure(end, took);
    failures_.inc();
  } else {
    breaker_.record_success(end, took);
  }
  // Outlier detection counts every 5xx, as Envoy's consecutive_5xx does: a
  // target answering 500 to everything is as useless as one that is down.
  shared_->record_call(target, status >= 500, end);
}

UpstreamResult Upstream::settle(size_t target, TimePoint start, const Status& sent,
                                unsigned status) {
  auto end = Clock::now();
  Duration took = std::chrono::duration_cast<Duration>(end - start);
  latency_.observe(took);
  UpstreamResult result;
  if (!sent) {
    result.outcome = judge_failure(target, end, took, sent.error());
    return result;
  }
  judge_answer(target, status, end, took);
  result.outcome = UpstreamResult::Outcome::kResponse;
  result.status = status;
  return result;
}

// Kept small: asio recycles coroutine frames only up to about 1 KiB, so the
// bookkeeping before and after the call is in plain functions.
// Shared by forward() and open(): a failure, a timeout or an answer that
// says the request was not processed, with attempts and budget left. A
// retry it allows is counted.
bool Upstream::should_retry(const UpstreamResult& result, int attempt, int allowed) {
  bool failed =
      result.outcome == UpstreamResult::Outcome::kFailed ||
      result.outcome == UpstreamResult::Outcome::kTimeout ||
      (result.outcome == UpstreamResult::Outcome::kResponse && unprocessed(result.status));
  if (!failed || attempt >= allowed) return false;
  if (!shared_->retry_budget().try_retry(coarse_steady_now())) {
    shared_->retry_budget_exhausted().inc();
    return false;
  }
  retries_.inc();
  return true;
}

asio::awaitable<UpstreamResult> Upstream::forward(const http::Request& req, std::string_view path,
                                                  bool retryable, std::string_view client_address,
                                                  std::string_view fields, http::Response& out,
                                                  http::RelayedFields relayed) {
  // Read before the first suspension: the address belongs to the caller.
  const std::optional<uint64_t> key = hash_key(req, client_address);
  auto permit = bulkhead_.try_enter();
  if (!permit) co_return bulkhead_full();
  shared_->retry_budget().record_request(coarse_steady_now());
  int allowed = retryable ? attempts_ : 1;
  UpstreamResult result;
  size_t target = kNone;  // the last target tried: a retry avoids it
  for (int n = 1;; ++n) {
    // Each attempt is awaited here, not in a coroutine of its own: a frame
    // less per request.
    const auto start = Clock::now();
    if (!breaker_.acquire(start)) {
      result = circuit_open();
    } else {
      target = pick(key, target);  // avoiding the last one tried
      const UpstreamTarget& t = shared_->targets()[target];
      const http::RelayTo to{t.url, t.origin, t.host_header, t.base_path, path, fields, relayed};
      ++in_flight_[target];
      const Status sent = co_await client_.relay(to, req, out);
      --in_flight_[target];
      result = settle(target, start, sent, out.result_int());
    }
    result.attempts = n;
    if (!should_retry(result, n, allowed)) break;
    co_await pause(backoff_.delay(n));
  }
  co_return result;
}

// A coroutine of its own so that forward()'s frame, made for every request,
// does not carry a timer only retries use.
asio::awaitable<void> Upstream::pause(Duration delay) {
  asio::steady_timer timer(executor_, delay);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<UpstreamResult> Upstream::open_attempt(http::Request& req, http::BodySource* body,
                                                       std::optional<uint64_t> key,
                                                       size_t& target) {
  UpstreamResult result;
  auto start = Clock::now();
  if (!breaker_.acquire(start)) {
    result.outcome = UpstreamResult::Outcome::kCircuitOpen;
    co_return result;
  }
  target = pick(key, target);
  const UpstreamTarget& t = shared_->targets()[target];
  http::Url url = t.url;
  url.target = t.base_path + std::string(req.target());
  ++in_flight_[target];
  std::optional<BodyEndClock> timed;
  if (body) timed.emplace(*body);
  http::BodySource* source = timed ? &*timed : nullptr;
  auto opened = co_await client_.open(url, req, source);
  --in_flight_[target];
  auto end = Clock::now();
  auto judged_from = timed && timed->ended() ? *timed->ended() : start;
  Duration took = std::chrono::duration_cast<Duration>(end - judged_from);
  latency_.observe(took);
  if (!opened) {
    result.outcome = judge_failure(target, end, took, opened.error());
    co_return result;
  }
  judge_answer(target, opened->head.result_int(), end, took);
  result.outcome = UpstreamResult::Outcome::kResponse;
  result.status = opened->head.result_int();
  result.response = std::move(opened->head);
  result.body = std::move(opened->body);
  co_return result;
}

asio::awaitable<UpstreamResult> Upstream::open(http::Request req, http::BodySource* body,
                                               bool retryable, std::string_view client_address) {
  const std::optional<uint64_t> key = hash_key(req, client_address);
  auto permit = bulkhead_.try_enter();
  if (!permit) co_return bulkhead_full();
  shared_->retry_budget().record_request(coarse_steady_now());
  int allowed = retryable && body == nullptr ? attempts_ : 1;
  UpstreamResult result;
  size_t target = kNone;
  for (int n = 1;; ++n) {
    result = co_await open_attempt(req, body, key, target);
    result.attempts = n;
    if (!should_retry(result, n, allowed)) break;
    result.body.reset();  // closes the connection of the answer given up on
    co_await pause(backoff_.delay(n));
  }
  if (result.body) {
    result.body = std::make_unique<PermittedBody>(std::move(result.body), std::move(*permit));
  }
  co_return result;
}

}  // namespace junction::gateway
