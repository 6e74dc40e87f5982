#include "gateway/health_checker.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;

http::ClientOptions check_client_options(const spec::HealthCheckSpec& spec) {
  http::ClientOptions o;
  o.connect_timeout = spec.timeout;
  o.request_timeout = spec.timeout;
  // One kept-alive connection per target: checks are sequential per target.
  o.max_idle_per_host = 1;
  // A health page is small; a huge one fails the check rather than fill memory.
  o.max_response_body = 64 * 1024;
  return o;
}

}  // namespace

std::shared_ptr<HealthChecker> HealthChecker::create(std::string upstream,
                                                     std::vector<Target> targets,
                                                     const spec::HealthCheckSpec& spec,
                                                     std::shared_ptr<UpstreamHealth> health,
                                                     asio::any_io_executor executor) {
  return std::shared_ptr<HealthChecker>(new HealthChecker(
      std::move(upstream), std::move(targets), spec, std::move(health), std::move(executor)));
}

HealthChecker::HealthChecker(std::string upstream, std::vector<Target> targets,
                             const spec::HealthCheckSpec& spec,
                             std::shared_ptr<UpstreamHealth> health, asio::any_io_executor executor)
    : upstream_(std::move(upstream)),
      targets_(std::move(targets)),
      spec_(spec),
      health_(std::move(health)),
      executor_(executor),
      client_(executor, check_client_options(spec)),
      timer_(executor) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::start() {
  auto self = shared_from_this();
  asio::co_spawn(
      executor_, [self]() { return self->run(); }, asio::detached);
}

void HealthChecker::stop() {
  if (stopped_.exchange(true)) return;
  // The timer belongs to the loop's thread: cancel it there.
  asio::post(executor_, [self = shared_from_this()] { self->timer_.cancel(); });
}

asio::awaitable<void> HealthChecker::run() {
  auto self = shared_from_this();
  while (!stopped_.load()) {
    const auto round_start = asio::steady_timer::clock_type::now();
    pending_ = targets_.size();
    for (size_t i = 0; i < targets_.size(); ++i) {
      asio::co_spawn(
          executor_, [self, i]() { return self->probe(i); }, asio::detached);
    }
    boost::system::error_code ec;
    while (pending_ > 0 && !stopped_.load()) {
      timer_.expires_at(asio::steady_timer::time_point::max());
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (stopped_.load()) break;
    timer_.expires_at(round_start + spec_.interval);
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> HealthChecker::probe(size_t target) {
  const Target& t = targets_[target];
  http::Request req{bhttp::verb::get, t.url.target, 11};
  auto answer = co_await client_.send(t.url, std::move(req));
  const bool passed = answer && answer->result_int() >= spec_.expect_min &&
                      answer->result_int() <= spec_.expect_max;
  if (!stopped_.load() && health_->record_check(target, passed)) {
    if (passed) {
      spdlog::info("upstream {}: target {} passes its health checks again: back in rotation",
                   upstream_, t.name);
    } else if (answer) {
      spdlog::warn("upstream {}: target {} failed its health check (status {}): out of rotation",
                   upstream_, t.name, answer->result_int());
    } else {
      spdlog::warn("upstream {}: target {} failed its health check ({}): out of rotation",
                   upstream_, t.name, answer.error().message());
    }
  }
  if (--pending_ == 0) timer_.cancel();
}

}  // namespace junction::gateway
