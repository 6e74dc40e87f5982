#include "gateway/gateway_shared.h"

namespace junction::gateway {

Result<std::shared_ptr<GatewayShared>> GatewayShared::create(
    const spec::GatewaySpec& spec, const std::vector<spec::UpstreamSpec>& upstreams,
    observe::Registry& metrics, asio::any_io_executor background, const GatewayShared* previous) {
  auto jwks = make_remote_jwks(spec, background, metrics, previous ? previous->jwks_ : nullptr);
  if (!jwks) return jwks.error();
  auto auth = Authenticator::create(spec, *jwks);
  if (!auth) return auth.error();
  std::shared_ptr<GatewayShared> shared(new GatewayShared(std::move(*jwks), std::move(*auth)));
  for (size_t i = 0; i < spec.routes.size(); ++i) {
    const auto& r = spec.routes[i];
    if (!r.rate_limit) continue;
    std::vector<RateLimit> limits;
    for (const auto& text : r.rate_limit->limits) {
      auto limit = parse_rate_limit(text);
      if (!limit) return Error::invalid("route " + r.path + ": " + limit.error().message());
      limits.push_back(std::move(*limit));
    }
    auto limiter = RateLimiter::create(std::move(limits));
    if (!limiter) return Error::invalid("route " + r.path + ": " + limiter.error().message());
    shared->limiters_[i] = std::make_unique<RateLimiter>(std::move(*limiter));
  }
  auto made = make_shared_upstreams(upstreams, std::move(background), metrics);
  if (!made) return made.error();
  shared->upstreams_ = std::move(*made);
  const auto& log = spec.access_log;
  if (log.mode == spec::AccessLogSpec::Mode::kFile) {
    auto file = AccessLogFile::open(log.file, log.flush, log.max_buffer, metrics);
    if (!file) return file.error();
    shared->access_log_ = std::move(*file);
  }
  return shared;
}

RateLimiter* GatewayShared::limiter(size_t route) const {
  auto it = limiters_.find(route);
  return it == limiters_.end() ? nullptr : it->second.get();
}

std::shared_ptr<SharedUpstream> GatewayShared::upstream(const std::string& name) const {
  auto it = upstreams_.find(name);
  return it == upstreams_.end() ? nullptr : it->second;
}

GatewayShared::~GatewayShared() {
  stop();
}

void GatewayShared::start(observe::Health& health) {
  if (jwks_) jwks_->start(&health);
}

void GatewayShared::stop(const GatewayShared* other) {
  if (jwks_ && other && other->jwks_ == jwks_) {
    jwks_.reset();  // the other one runs it now; our Authenticator keeps its own reference
  } else if (jwks_) {
    jwks_->stop();
  }
  for (auto& [name, upstream] : upstreams_) upstream->stop();
}

}  // namespace junction::gateway
