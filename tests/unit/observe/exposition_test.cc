#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "observe/metrics.h"

namespace junction::observe {
namespace {

TEST(ExpositionTest, EmptyRegistryIsEmpty) {
  Registry r;
  EXPECT_EQ(r.prometheus_text(), "");
}

TEST(ExpositionTest, SmallRegistryExactText) {
  Registry r;
  r.counter("junction_flow_messages_total", "Messages handled.", {{"flow", "orders"}}).inc(3);
  r.counter("junction_flow_messages_total", "Messages handled.", {{"flow", "a\"b\\c\nd"}}).inc();
  r.gauge("junction_inflight", "In flight.\nSecond \\ line").set(2.5);
  Histogram& h =
      r.histogram("junction_step_seconds", "Step latency.", {{"flow", "orders"}}, {0.1, 0.25, 1});
  h.observe(0.05);
  h.observe(0.2);
  h.observe(0.2);
  h.observe(3);
  r.counter("a_first_total", "Sorted first.").inc(0);

  EXPECT_EQ(r.prometheus_text(),
            "# HELP a_first_total Sorted first.\n"
            "# TYPE a_first_total counter\n"
            "a_first_total 0\n"
            "# HELP junction_flow_messages_total Messages handled.\n"
            "# TYPE junction_flow_messages_total counter\n"
            "junction_flow_messages_total{flow=\"orders\"} 3\n"
            "junction_flow_messages_total{flow=\"a\\\"b\\\\c\\nd\"} 1\n"
            "# HELP junction_inflight In flight.\\nSecond \\\\ line\n"
            "# TYPE junction_inflight gauge\n"
            "junction_inflight 2.5\n"
            "# HELP junction_step_seconds Step latency.\n"
            "# TYPE junction_step_seconds histogram\n"
            "junction_step_seconds_bucket{flow=\"orders\",le=\"0.1\"} 1\n"
            "junction_step_seconds_bucket{flow=\"orders\",le=\"0.25\"} 3\n"
            "junction_step_seconds_bucket{flow=\"orders\",le=\"1\"} 3\n"
            "junction_step_seconds_bucket{flow=\"orders\",le=\"+Inf\"} 4\n"
            "junction_step_seconds_sum{flow=\"orders\"} 3.45\n"
            "junction_step_seconds_count{flow=\"orders\"} 4\n");
}

TEST(ExpositionTest, LabelsAreSortedByNameAndHistogramWithoutLabels) {
  Registry r;
  r.gauge("g", "h", {{"zone", "z"}, {"app", "a"}}).set(-1);
  r.histogram("lat", "h", {}, {}).observe(2);
  EXPECT_EQ(r.prometheus_text(),
            "# HELP g h\n# TYPE g gauge\ng{app=\"a\",zone=\"z\"} -1\n"
            "# HELP lat h\n# TYPE lat histogram\nlat_bucket{le=\"+Inf\"} 1\n"
            "lat_sum 2\nlat_count 1\n");
}

TEST(ExpositionTest, SpecialFloats) {
  Registry r;
  r.gauge("a", "h", {{"k", "1"}}).set(INFINITY);
  r.gauge("a", "h", {{"k", "2"}}).set(-INFINITY);
  r.gauge("a", "h", {{"k", "3"}}).set(NAN);
  r.gauge("a", "h", {{"k", "4"}}).set(0.0001);
  r.gauge("a", "h", {{"k", "5"}}).set(1e-7);
  std::string text = r.prometheus_text();
  EXPECT_NE(text.find("a{k=\"1\"} +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a{k=\"2\"} -Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a{k=\"3\"} NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a{k=\"4\"} 0.0001\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a{k=\"5\"} 1e-07\n"), std::string::npos) << text;
}

TEST(ExpositionTest, DefaultBucketsFormatMinimally) {
  Registry r;
  r.histogram("d", "h");
  std::string text = r.prometheus_text();
  for (const char* le : {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                         "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"}) {
    EXPECT_NE(text.find(std::string("d_bucket{le=\"") + le + "\"} 0\n"), std::string::npos)
        << le << "\n"
        << text;
  }
}

TEST(ExpositionTest, GaugeFnEvaluatedAtScrape) {
  Registry r;
  std::atomic<int> depth{1};
  int calls = 0;
  r.gauge_fn("junction_queue_depth", "Queue depth.", {{"queue", "q1"}}, [&] {
    ++calls;
    return static_cast<double>(depth.load());
  });
  EXPECT_EQ(calls, 0);
  EXPECT_NE(r.prometheus_text().find("junction_queue_depth{queue=\"q1\"} 1\n"), std::string::npos);
  depth = 17;
  EXPECT_NE(r.prometheus_text().find("junction_queue_depth{queue=\"q1\"} 17\n"), std::string::npos);
  EXPECT_EQ(calls, 2);
}

TEST(ExpositionTest, GaugeFnReplacedAndRemoved) {
  Registry r;
  r.gauge_fn("q", "h", {}, [] { return 1.0; });
  r.gauge_fn("q", "h", {}, [] { return 2.0; });
  EXPECT_EQ(r.prometheus_text(), "# HELP q h\n# TYPE q gauge\nq 2\n");
  r.remove_gauge_fn("q", {});
  EXPECT_EQ(r.prometheus_text(), "");
  r.remove_gauge_fn("never_registered", {});  // harmless
}

TEST(ExpositionTest, ThrowingGaugeFnReportsNan) {
  Registry r;
  r.gauge_fn("q", "h", {}, []() -> double { throw 42; });
  EXPECT_EQ(r.prometheus_text(), "# HELP q h\n# TYPE q gauge\nq NaN\n");
}

}  // namespace
}  // namespace junction::observe
