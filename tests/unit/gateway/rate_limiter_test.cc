#include "gateway/rate_limiter.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace junction::gateway {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{};

RateLimit limit(std::string_view spec) {
  auto l = parse_rate_limit(spec);
  EXPECT_TRUE(l.ok()) << spec << ": " << (l.ok() ? "" : l.error().message());
  return std::move(l).value();
}

RateLimiter limiter(std::vector<std::string_view> specs, RateLimiterOptions options = {}) {
  std::vector<RateLimit> limits;
  for (auto s : specs) limits.push_back(limit(s));
  auto l = RateLimiter::create(std::move(limits), options);
  EXPECT_TRUE(l.ok());
  return std::move(l).value();
}

std::map<std::string, std::string> as_map(const RateLimiter::HeaderFields& fields) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : fields) m[std::string(k)] = v;
  return m;
}

TEST(RateLimitParseTest, ReadsSpecs) {
  auto per_min = limit("1000/min");
  EXPECT_NEAR(per_min.per_second, 1000.0 / 60, 1e-9);
  EXPECT_EQ(per_min.burst, 1000u);
  EXPECT_EQ(per_min.window(), Duration(60s));
  EXPECT_EQ(per_min.spec, "1000/min");

  auto bursty = limit("50/s burst 100");
  EXPECT_DOUBLE_EQ(bursty.per_second, 50);
  EXPECT_EQ(bursty.burst, 100u);
  EXPECT_EQ(bursty.window(), Duration(2s));

  auto hourly = limit("10/h");
  EXPECT_NEAR(hourly.per_second, 10.0 / 3600, 1e-12);
  EXPECT_EQ(hourly.burst, 10u);
  EXPECT_EQ(hourly.window(), Duration(1h));
}

TEST(RateLimitParseTest, ErrorsSayWhatIsWrong) {
  auto expect_error = [](std::string_view spec, std::string_view why) {
    auto l = parse_rate_limit(spec);
    ASSERT_FALSE(l.ok()) << spec;
    EXPECT_EQ(l.error().cls(), ErrorClass::kInvalid);
    const std::string& m = l.error().message();
    EXPECT_NE(m.find("rate limit '" + std::string(spec) + "'"), std::string::npos) << m;
    EXPECT_NE(m.find(why), std::string::npos) << m;
  };
  for (auto bad : {"", "1000", "1000/fortnight", "/s", "ten/s", "-5/s", "5/s burst", "5/s burst x",
                   "5/s bursts 10", "5/s burst 10 more", "5 per second"}) {
    expect_error(bad, "expected <count>/<unit>");
  }
  expect_error("0/s", "must be positive");
  expect_error("0.5/s", "burst is 0");
  expect_error("5/s burst 0", "burst is 0");
  expect_error("5/s burst 2000000000", "at most");
}

TEST(RateLimiterTest, CreateRefusesNonsense) {
  EXPECT_FALSE(RateLimiter::create({}).ok());
  EXPECT_FALSE(RateLimiter::create({limit("1/s")}, {.max_keys = 0}).ok());
  EXPECT_FALSE(RateLimiter::create({limit("1/s")}, {.max_keys = 10, .shards = 0}).ok());
}

TEST(RateLimiterTest, AllowsTheBurstThenRefuses) {
  auto l = limiter({"2/s burst 3"});
  for (uint64_t left : {2u, 1u, 0u}) {
    auto d = l.check("alice", t0);
    ASSERT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, left);
    EXPECT_EQ(d.limit, 3u);
    EXPECT_EQ(d.retry_after_seconds, 0u);
  }
  auto d = l.check("alice", t0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_EQ(d.retry_after_seconds, 1u);  // 500ms, rounded up
  EXPECT_EQ(d.reset_seconds, 2u);        // 1.5s to refill three tokens, rounded up
  EXPECT_TRUE(l.check("alice", t0 + 500ms).allowed);
}

TEST(RateLimiterTest, KeysAreIsolated) {
  auto l = limiter({"1/min"});
  EXPECT_TRUE(l.check("alice", t0).allowed);
  EXPECT_FALSE(l.check("alice", t0).allowed);
  EXPECT_TRUE(l.check("bob", t0).allowed);
  EXPECT_TRUE(l.check("", t0).allowed);  // the caller's empty key is a key too
  EXPECT_EQ(l.key_count(), 3u);
}

TEST(RateLimiterTest, MostRestrictiveLimitWins) {
  auto l = limiter({"100/min", "5/s"});
  auto d = l.check("k", t0);
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.limit_index, 1u);  // 4 left of 5 beats 99 left of 100
  EXPECT_EQ(d.limit, 5u);
  EXPECT_EQ(d.remaining, 4u);

  for (int i = 0; i < 4; ++i) ASSERT_TRUE(l.check("k", t0).allowed);
  d = l.check("k", t0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit_index, 1u);
  EXPECT_EQ(d.retry_after_seconds, 1u);

  // Spend five a second: the per-minute limit, refilling at 1.67/s, runs dry
  // after about half a minute and from then on is the one that refuses.
  RateLimiter::Decision last;
  for (int s = 1; s <= 40; ++s) {
    TimePoint now = t0 + std::chrono::seconds(s);
    while ((last = l.check("k", now)).allowed) {
    }
  }
  EXPECT_EQ(last.limit_index, 0u);
  EXPECT_EQ(last.limit, 100u);
  EXPECT_EQ(last.retry_after_seconds, 1u);
}

TEST(RateLimiterTest, ARefusedRequestTakesFromNoLimit) {
  auto l = limiter({"1/s", "3/min"});
  ASSERT_TRUE(l.check("k", t0).allowed);
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(l.check("k", t0).allowed);  // refused by 1/s
  // The per-minute limit still holds two.
  EXPECT_TRUE(l.check("k", t0 + 1s).allowed);
  auto d = l.check("k", t0 + 2s);
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.limit_index, 1u);
  EXPECT_EQ(d.remaining, 0u);
}

TEST(RateLimiterTest, MemoryIsBounded) {
  auto l = limiter({"10/s"}, {.max_keys = 8, .shards = 4});
  for (int i = 0; i < 1000; ++i) l.check("key-" + std::to_string(i), t0);
  EXPECT_EQ(l.key_count(), 8u);
  EXPECT_EQ(l.evictions(), 992u);
  // Every evicted key had just spent a token.
  EXPECT_EQ(l.evictions_while_limited(), 992u);
}

TEST(RateLimiterTest, EvictsTheLeastRecentlyUsed) {
  auto l = limiter({"1/h"}, {.max_keys = 2, .shards = 1});
  ASSERT_TRUE(l.check("a", t0).allowed);
  ASSERT_TRUE(l.check("b", t0).allowed);
  EXPECT_FALSE(l.check("a", t0).allowed);  // a is now the most recent
  ASSERT_TRUE(l.check("c", t0).allowed);   // evicts b
  EXPECT_FALSE(l.check("a", t0).allowed);  // a kept its debt
  EXPECT_EQ(l.evictions(), 1u);
  // b was forgotten: it starts full again (the documented cost of eviction).
  EXPECT_TRUE(l.check("b", t0).allowed);
}

TEST(RateLimiterTest, EvictingAnIdleKeyLosesNothing) {
  auto l = limiter({"1/s"}, {.max_keys = 1, .shards = 1});
  ASSERT_TRUE(l.check("a", t0).allowed);
  ASSERT_TRUE(l.check("b", t0 + 5s).allowed);  // a is full again by now
  EXPECT_EQ(l.evictions(), 1u);
  EXPECT_EQ(l.evictions_while_limited(), 0u);
}

TEST(RateLimiterTest, LongKeysAreStoredHashed) {
  auto l = limiter({"1/h"});
  std::string long_a(5000, 'a');
  std::string long_b = long_a;
  long_b.back() = 'b';
  ASSERT_TRUE(l.check(long_a, t0).allowed);
  EXPECT_FALSE(l.check(long_a, t0).allowed);
  EXPECT_TRUE(l.check(long_b, t0).allowed);  // differs only in the last byte
  std::string exactly_max(RateLimiter::kMaxKeyBytes, 'a');
  EXPECT_TRUE(l.check(exactly_max, t0).allowed);
  EXPECT_EQ(l.key_count(), 3u);
}

TEST(RateLimiterTest, RendersHeaderFields) {
  auto l = limiter({"50/s burst 100", "1000/min"});
  auto d = l.check("k", t0);
  auto h = as_map(l.header_fields(d));
  EXPECT_EQ(h.at("RateLimit-Limit"), "100");
  EXPECT_EQ(h.at("RateLimit-Remaining"), "99");
  EXPECT_EQ(h.at("RateLimit-Reset"), "1");  // 20ms to refill, rounded up
  EXPECT_EQ(h.at("RateLimit-Policy"), "100;w=2, 1000;w=60");
  EXPECT_EQ(h.count("Retry-After"), 0u);

  auto strict = limiter({"1/min"});
  strict.check("k", t0);
  auto refused = strict.check("k", t0 + 15s);
  auto r = as_map(strict.header_fields(refused));
  EXPECT_EQ(r.at("RateLimit-Limit"), "1");
  EXPECT_EQ(r.at("RateLimit-Remaining"), "0");
  EXPECT_EQ(r.at("RateLimit-Reset"), "45");
  EXPECT_EQ(r.at("Retry-After"), "45");
  EXPECT_EQ(r.at("RateLimit-Policy"), "1;w=60");
}

TEST(RateLimiterTest, HeaderLinesSayWhatTheFieldsSay) {
  auto l = limiter({"50/s burst 100", "1000/min"});
  std::string lines;
  l.append_header_lines(l.check("k", t0), lines);
  EXPECT_EQ(lines,
            "RateLimit-Limit: 100\r\nRateLimit-Remaining: 99\r\nRateLimit-Reset: 1\r\n"
            "RateLimit-Policy: 100;w=2, 1000;w=60\r\n");

  auto strict = limiter({"1/min"});
  strict.check("k", t0);
  const auto refused = strict.check("k", t0 + 15s);
  std::string expected;
  for (const auto& [name, value] : strict.header_fields(refused)) {
    expected.append(name).append(": ").append(value).append("\r\n");
  }
  lines.clear();
  strict.append_header_lines(refused, lines);
  EXPECT_EQ(lines, expected);
  EXPECT_NE(lines.find("Retry-After: 45\r\n"), std::string::npos);
}

TEST(RateLimiterTest, CostAboveTheBurstNeverPasses) {
  auto l = limiter({"5/s"});
  auto d = l.check("k", t0, 6);
  EXPECT_FALSE(d.allowed);
  EXPECT_GT(d.retry_after_seconds, 100u * 365 * 24 * 3600);
  EXPECT_TRUE(l.check("k", t0, 5).allowed);  // nothing was taken
}

TEST(RateLimiterTest, ConcurrentChecksNeverOverspend) {
  auto l = limiter({"1/h burst 1000"}, {.max_keys = 64, .shards = 4});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (l.check("shared", t0).allowed) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace junction::gateway
