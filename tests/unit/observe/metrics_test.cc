#include "observe/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

namespace junction::observe {
namespace {

TEST(CounterTest, IncrementsByOneAndByN) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(GaugeTest, SetAndAdd) {
  Gauge g;
  EXPECT_EQ(g.value(), 0.0);
  g.set(2.5);
  g.add(-1.0);
  g.add(0.25);
  EXPECT_DOUBLE_EQ(g.value(), 1.75);
}

TEST(HistogramTest, BucketsAreUpperInclusiveAndCumulative) {
  Histogram h({1, 2, 5});
  h.observe(0.5);
  h.observe(1.0);  // on the bound: belongs to le=1
  h.observe(1.5);
  h.observe(7);
  HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 3, 3, 4}));
  EXPECT_EQ(s.count, 4u);
  EXPECT_DOUBLE_EQ(s.sum, 10.0);
  EXPECT_EQ(h.count(), 4u);
}

TEST(HistogramTest, ObservesDurationsInSeconds) {
  Histogram h(default_latency_buckets());
  h.observe(std::chrono::milliseconds(3));
  h.observe(std::chrono::microseconds(50));
  HistogramSnapshot s = h.snapshot();
  EXPECT_NEAR(s.sum, 0.00305, 1e-12);
  // 50us is in the first bucket (le=0.0001); 3ms in le=0.005 (index 5).
  EXPECT_EQ(s.cumulative[0], 1u);
  EXPECT_EQ(s.cumulative[4], 1u);
  EXPECT_EQ(s.cumulative[5], 2u);
}

TEST(HistogramTest, NanGoesToInfBucketAndTrailingInfBoundIsDropped) {
  Histogram h({1, INFINITY});
  EXPECT_EQ(h.bounds(), (std::vector<double>{1}));
  h.observe(NAN);
  EXPECT_EQ(h.snapshot().cumulative, (std::vector<uint64_t>{0, 1}));
}

TEST(HistogramDeathTest, UnsortedBoundsAbort) {
  EXPECT_DEATH(Histogram({2, 1}), "ascending");
}

TEST(RegistryTest, GetOrCreateBySameAndDifferentLabels) {
  Registry r;
  Counter& a = r.counter("junction_test_total", "help", {{"flow", "a"}});
  Counter& a2 = r.counter("junction_test_total", "help", {{"flow", "a"}});
  Counter& b = r.counter("junction_test_total", "help", {{"flow", "b"}});
  EXPECT_EQ(&a, &a2);
  EXPECT_NE(&a, &b);
  a.inc();
  EXPECT_EQ(a2.value(), 1u);
  EXPECT_EQ(b.value(), 0u);
}

TEST(RegistryTest, LabelOrderDoesNotMatter) {
  Registry r;
  Gauge& g1 = r.gauge("g", "h", {{"a", "1"}, {"b", "2"}});
  Gauge& g2 = r.gauge("g", "h", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(&g1, &g2);
}

TEST(RegistryTest, ReferencesSurviveManyRegistrations) {
  Registry r;
  Counter& first = r.counter("c", "h", {{"i", "0"}});
  for (int i = 1; i < 1000; ++i) r.counter("c", "h", {{"i", std::to_string(i)}}).inc();
  first.inc(7);
  EXPECT_EQ(r.counter("c", "h", {{"i", "0"}}).value(), 7u);
}

TEST(RegistryTest, ConcurrentIncrementsSumExactly) {
  Registry r;
  Counter& c = r.counter("junction_hits_total", "hits");
  Histogram& h = r.histogram("junction_lat_seconds", "lat", {}, {0.5});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        h.observe(1.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h.count(), uint64_t{kThreads} * kPerThread);
  EXPECT_DOUBLE_EQ(h.sum(), double{kThreads} * kPerThread);
}

TEST(RegistryTest, ConcurrentRegistrationYieldsOneSeries) {
  Registry r;
  std::vector<std::thread> threads;
  std::vector<Counter*> seen(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) r.counter("c", "h", {{"k", "v"}}).inc();
      seen[t] = &r.counter("c", "h", {{"k", "v"}});
    });
  }
  for (auto& t : threads) t.join();
  for (Counter* c : seen) EXPECT_EQ(c, seen[0]);
  EXPECT_EQ(seen[0]->value(), 4000u);
}

TEST(RegistryDeathTest, TypeMismatchAborts) {
  Registry r;
  r.counter("m", "h");
  EXPECT_DEATH(r.gauge("m", "h"), "another type");
}

TEST(RegistryDeathTest, InvalidNamesAbort) {
  Registry r;
  EXPECT_DEATH(r.counter("1bad", "h"), "invalid metric name");
  EXPECT_DEATH(r.counter("bad-name", "h"), "invalid metric name");
  EXPECT_DEATH(r.counter("", "h"), "invalid metric name");
  EXPECT_DEATH(r.counter("ok", "h", {{"bad-label", "v"}}), "invalid label name");
  EXPECT_DEATH(r.counter("ok", "h", {{"__x", "v"}}), "reserved");
  EXPECT_DEATH(r.counter("ok", "h", {{"a", "1"}, {"a", "2"}}), "duplicate label");
  EXPECT_DEATH(r.histogram("hist", "h", {{"le", "1"}}), "reserved");
}

TEST(RegistryTest, ColonsAreValidInMetricNames) {
  Registry r;
  r.counter(":job:rate_total", "h").inc();
  r.counter("a:b", "h").inc();
  SUCCEED();
}

TEST(RegistryDeathTest, HistogramSuffixClashAborts) {
  Registry r;
  r.histogram("req_seconds", "h");
  EXPECT_DEATH(r.counter("req_seconds_count", "h"), "clashes");
  Registry r2;
  r2.gauge("x_sum", "h");
  EXPECT_DEATH(r2.histogram("x", "h"), "clashes");
}

TEST(RegistryDeathTest, PlainAndCallbackGaugeOnOneSeriesAbort) {
  Registry r;
  r.gauge("g", "h", {{"k", "v"}});
  EXPECT_DEATH(r.gauge_fn("g", "h", {{"k", "v"}}, [] { return 1.0; }), "plain gauge");
  r.gauge_fn("f", "h", {}, [] { return 1.0; });
  EXPECT_DEATH(r.gauge("f", "h"), "callback gauge");
}

}  // namespace
}  // namespace junction::observe
