#include "gateway/upstream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <sstream>

#include "unit/http/test_support.h"

namespace junction::gateway {
namespace {

using namespace std::chrono_literals;
using http::testing::IoThread;
using http::testing::TestServer;
namespace bhttp = boost::beast::http;
using Outcome = UpstreamResult::Outcome;

// A loopback target that names itself in its answers and answers what the
// test tells it to: proxied requests `status`, health checks `check_status`.
struct BackendState {
  std::string name;
  std::atomic<unsigned> status{200};
  std::atomic<unsigned> check_status{200};
  std::atomic<int> hits{0};
  std::atomic<int> checks{0};
};

asio::awaitable<http::Response> answer(std::shared_ptr<BackendState> state, http::Request& req,
                                       const http::RequestInfo&) {
  const std::string_view target(req.target().data(), req.target().size());
  const bool check = target == "/base/healthz";
  unsigned status = check ? state->check_status.load() : state->status.load();
  ++(check ? state->checks : state->hits);
  if (!check && target != "/base/x") status = 404;
  http::Response res{static_cast<bhttp::status>(status), req.version()};
  res.body() = status == 404 ? "wrong path" : state->name;
  res.prepare_payload();
  co_return res;
}

struct Backend {
  explicit Backend(std::string name)
      : state(std::make_shared<BackendState>()),
        server([s = state](http::Request& req, const http::RequestInfo& info) {
          return answer(s, req, info);
        }) {
    state->name = std::move(name);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/base"; }

  std::shared_ptr<BackendState> state;
  TestServer server;
};

bool eventually(const std::function<bool()>& condition, std::chrono::seconds within = 10s) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

class UpstreamTest : public ::testing::Test {
 protected:
  spec::UpstreamSpec spec_of(std::initializer_list<Backend*> backends) {
    spec::UpstreamSpec spec;
    spec.name = "u";
    for (Backend* b : backends) spec.targets.push_back(b->url());
    spec.attempts = 1;
    spec.backoff = 1ms;
    spec.max_backoff = 1ms;
    spec.minimum_calls = 1000;  // keep the circuit breaker out of these tests
    spec.window = 1000;
    return spec;
  }

  void build(const spec::UpstreamSpec& spec) {
    shared_ = std::move(SharedUpstream::create(spec, metrics_).value());
    shared_->start(io_.ctx.get_executor());
    auto up = Upstream::create(spec, shared_, io_.ctx.get_executor(), metrics_);
    ASSERT_TRUE(up.ok());
    upstream_ = std::move(*up);
  }

  void TearDown() override { io_.run(destroy()); }

  asio::awaitable<void> destroy() {
    upstream_.reset();
    shared_.reset();  // stops the health checks
    co_return;
  }

  static asio::awaitable<UpstreamResult> call(Upstream* up, http::Request req, bool idempotent,
                                              std::string client) {
    req.prepare_payload();
    const std::string target(req.target());
    http::Response answer;
    UpstreamResult result = co_await up->forward(req, target, idempotent, client, {}, answer);
    result.response = std::move(answer);
    co_return result;
  }

  // The name of the backend that answered, or "" with the outcome's name.
  std::string get(std::vector<std::pair<std::string, std::string>> headers = {},
                  std::string client = "10.0.0.1") {
    http::Request req{bhttp::verb::get, "/x", 11};
    for (const auto& [k, v] : headers) req.set(k, v);
    last_ = io_.run(call(upstream_.get(), std::move(req), true, std::move(client)));
    return last_.outcome == Outcome::kResponse ? last_.response.body() : "";
  }

  double metric(const std::string& series) {
    std::istringstream text(metrics_.prometheus_text());
    for (std::string line; std::getline(text, line);) {
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    ADD_FAILURE() << "no series " << series << " in\n" << metrics_.prometheus_text();
    return -1;
  }

  Backend a_{"a"};
  Backend b_{"b"};
  Backend c_{"c"};
  observe::Registry metrics_;
  IoThread io_;
  std::shared_ptr<SharedUpstream> shared_;
  std::unique_ptr<Upstream> upstream_;
  UpstreamResult last_;
};

TEST_F(UpstreamTest, RoundRobinUnderTheBasePath) {
  build(spec_of({&a_, &b_}));
  std::multiset<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.insert(get());
  EXPECT_EQ(seen.count("a"), 2u);
  EXPECT_EQ(seen.count("b"), 2u);
}

TEST_F(UpstreamTest, HashOnAHeaderSendsAKeyToOneTarget) {
  auto spec = spec_of({&a_, &b_, &c_});
  spec.balance = spec::Balance::kHash;
  spec.hash_header = "X-User-Id";
  build(spec);
  std::set<std::string> owners;
  for (int user = 0; user < 30; ++user) {
    std::string id = "user-" + std::to_string(user);
    std::string first = get({{"X-User-Id", id}});
    ASSERT_NE(first, "");
    for (int i = 0; i < 3; ++i) EXPECT_EQ(get({{"X-User-Id", id}}), first) << id;
    owners.insert(first);
  }
  EXPECT_EQ(owners.size(), 3u);  // 30 keys are not all on one target
  // Without the header: round robin.
  std::set<std::string> spread;
  for (int i = 0; i < 3; ++i) spread.insert(get());
  EXPECT_EQ(spread.size(), 3u);
}

TEST_F(UpstreamTest, HashOnIpUsesTheClientAddress) {
  auto spec = spec_of({&a_, &b_, &c_});
  spec.balance = spec::Balance::kHash;
  build(spec);
  for (int client = 1; client < 10; ++client) {
    std::string ip = "192.0.2." + std::to_string(client);
    std::string first = get({}, ip);
    EXPECT_EQ(get({}, ip), first);
    EXPECT_EQ(get({{"X-User-Id", "ignored"}}, ip), first);
  }
}

TEST_F(UpstreamTest, HashedKeysOfAnEjectedTargetMoveAndComeBack) {
  auto spec = spec_of({&a_, &b_, &c_});
  spec.balance = spec::Balance::kHash;
  spec.hash_header = "X-User-Id";
  spec.outlier = spec::OutlierSpec{2, 1s, 1s, 50};
  build(spec);
  std::string key;
  for (int user = 0; key.empty(); ++user) {
    std::string id = "user-" + std::to_string(user);
    if (get({{"X-User-Id", id}}) == "b") key = id;
  }
  b_.state->status = 500;
  EXPECT_EQ(get({{"X-User-Id", key}}), "b");
  EXPECT_EQ(get({{"X-User-Id", key}}), "b");  // the second 500 in a row: ejected
  std::string heir = get({{"X-User-Id", key}});
  EXPECT_TRUE(heir == "a" || heir == "c") << heir;
  EXPECT_EQ(get({{"X-User-Id", key}}), heir);
  EXPECT_EQ(metric("junction_gateway_upstream_ejections_total{target=\"" + b_.url() +
                   "\",upstream=\"u\"}"),
            1);
  EXPECT_EQ(metric("junction_gateway_upstream_target_ejected{target=\"" + b_.url() +
                   "\",upstream=\"u\"}"),
            1);
  b_.state->status = 200;
  EXPECT_TRUE(eventually([&] { return get({{"X-User-Id", key}}) == "b"; }));
}

TEST_F(UpstreamTest, ARetryGoesToAnotherTarget) {
  auto spec = spec_of({&a_, &b_});
  spec.attempts = 2;
  build(spec);
  a_.state->status = 503;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(get(), "b");
  // Every call to a failed and was retried, on b.
  EXPECT_GE(a_.state->hits.load(), 1);
  EXPECT_EQ(b_.state->hits.load(), 6);
  EXPECT_EQ(metric("junction_gateway_upstream_retries_total{upstream=\"u\"}"),
            a_.state->hits.load());
}

TEST_F(UpstreamTest, TheRetryBudgetStopsRetries) {
  auto spec = spec_of({&a_});
  spec.attempts = 3;
  spec.retry_budget = 10;
  spec.retry_min_per_second = 0;
  build(spec);
  a_.state->status = 503;
  for (int i = 0; i < 20; ++i) {
    get();
    EXPECT_EQ(last_.response.result_int(), 503u);
  }
  // 10% of 20 requests: 2 retries, made by the 10th and the 20th request.
  // Every request was then refused its next retry.
  EXPECT_EQ(a_.state->hits.load(), 22);
  EXPECT_EQ(metric("junction_gateway_upstream_retries_total{upstream=\"u\"}"), 2);
  EXPECT_EQ(metric("junction_gateway_upstream_retry_budget_exhausted_total{upstream=\"u\"}"), 20);
}

TEST_F(UpstreamTest, ConsecutiveFailuresEjectATargetWithinMaxPercent) {
  auto spec = spec_of({&a_, &b_, &c_});
  spec.outlier = spec::OutlierSpec{3, 60s, 60s, 34};  // one of three
  build(spec);
  a_.state->status = 502;
  c_.state->status = 500;
  for (int i = 0; i < 9; ++i) get();  // three rounds: a and c fail three times each
  // One of them is out (whichever got there first), the other may not be.
  const bool a_out = shared_->health().ejected(0, resilience::Clock::now());
  const bool c_out = shared_->health().ejected(2, resilience::Clock::now());
  EXPECT_NE(a_out, c_out);
  std::string out = a_out ? "a" : "c";
  for (int i = 0; i < 10; ++i) EXPECT_NE(get(), out);
}

TEST_F(UpstreamTest, HealthChecksTakeATargetOutAndPutItBack) {
  auto spec = spec_of({&a_, &b_});
  spec.health_check = spec::HealthCheckSpec{"/healthz", 20ms, 1s, 2, 2, 200, 299};
  build(spec);
  ASSERT_TRUE(eventually([&] { return a_.state->checks >= 2 && b_.state->checks >= 2; }));
  a_.state->check_status = 503;
  ASSERT_TRUE(eventually([&] { return !shared_->health().healthy(0); }));
  EXPECT_EQ(metric("junction_gateway_upstream_target_healthy{target=\"" + a_.url() +
                   "\",upstream=\"u\"}"),
            0);
  const int hits = a_.state->hits;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(get(), "b");
  EXPECT_EQ(a_.state->hits.load(), hits);
  a_.state->check_status = 202;  // any status in expect_status passes
  ASSERT_TRUE(eventually([&] { return shared_->health().healthy(0); }));
  std::multiset<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.insert(get());
  EXPECT_EQ(seen.count("a"), 2u);
}

TEST_F(UpstreamTest, ATargetDownAtStartIsOutAfterTheFirstCheck) {
  auto spec = spec_of({&a_, &b_});
  spec.targets[0] = "http://127.0.0.1:1/base";  // nothing listens there
  spec.health_check = spec::HealthCheckSpec{"/healthz", 50ms, 1s, 1, 3, 200, 399};
  build(spec);
  ASSERT_TRUE(eventually([&] { return !shared_->health().healthy(0); }));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(get(), "b");
}

TEST_F(UpstreamTest, WithEveryTargetOutTrafficGoesToAllInPanic) {
  auto spec = spec_of({&a_, &b_});
  spec.health_check = spec::HealthCheckSpec{"/healthz", 20ms, 1s, 1, 1, 200, 200};
  build(spec);
  a_.state->check_status = 500;
  b_.state->check_status = 500;
  ASSERT_TRUE(
      eventually([&] { return !shared_->health().healthy(0) && !shared_->health().healthy(1); }));
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.insert(get());
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(metric("junction_gateway_upstream_panic_total{upstream=\"u\"}"), 4);
}

TEST_F(UpstreamTest, CreateRefusesSharedStateOfAnotherUpstream) {
  auto spec = spec_of({&a_});
  build(spec);
  auto other = spec;
  other.name = "v";
  EXPECT_FALSE(Upstream::create(other, shared_, io_.ctx.get_executor(), metrics_).ok());
  EXPECT_FALSE(Upstream::create(other, nullptr, io_.ctx.get_executor(), metrics_).ok());
}

TEST(SharedUpstream, RejectsATargetWithAQuery) {
  observe::Registry metrics;
  spec::UpstreamSpec spec;
  spec.name = "q";
  spec.targets = {"http://127.0.0.1:1/a?b=c"};
  EXPECT_FALSE(SharedUpstream::create(spec, metrics).ok());
  spec.targets = {};
  EXPECT_FALSE(SharedUpstream::create(spec, metrics).ok());
}

}  // namespace
}  // namespace junction::gateway
