#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace junction::observe {

// Label name/value pairs. The registry sorts them by name, so {a,b} and {b,a}
// name the same series.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Counters and gauges are bumped from many threads; aligning each to its own
// cache line keeps two hot series from false-sharing.
class alignas(64) Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Relaxed: a counter orders nothing, it only has to add up.
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class alignas(64) Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Upper bounds in seconds, 100us to 10s: covers an in-process step as well as
// a slow HTTP peer.
const std::vector<double>& default_latency_buckets();

struct HistogramSnapshot {
  std::vector<double> bounds;        // finite upper bounds, ascending
  std::vector<uint64_t> cumulative;  // bounds.size() + 1 entries; the last is +Inf
  uint64_t count = 0;                // == cumulative.back()
  double sum = 0.0;
};

class Histogram {
 public:
  // `bounds` must be strictly ascending and free of NaN; a trailing +Inf is
  // implied and dropped if given. Violations abort (programming error).
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double value);

  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> d) {
    observe(std::chrono::duration<double>(d).count());
  }

  // Buckets are read one by one while writers go on, so a snapshot may be a
  // few observations behind in places; count is derived from the buckets so
  // that it always equals the +Inf bucket.
  HistogramSnapshot snapshot() const;
  uint64_t count() const { return snapshot().count; }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<double> sum_{0.0};
};

// Owns every metric series of one application. Registration (get-or-create)
// takes a mutex and is meant for setup time: hold on to the returned
// reference, which stays valid for the registry's lifetime, and update it
// lock-free on the hot path.
//
// Programming errors abort: an invalid metric or label name, a reserved label
// ("le" on a histogram, names starting with "__"), a duplicate label name, or
// a name already registered with another type.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The help text of a family is taken from its first registration.
  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  // An existing series keeps the bounds it was created with.
  Histogram& histogram(std::string_view name, std::string_view help, Labels labels = {},
                       std::vector<double> bounds = default_latency_buckets());

  // A gauge whose value is computed at scrape time (queue depths, pool sizes).
  // `fn` runs on the scraping thread with the registry lock held, so it must be
  // thread-safe and must not call back into this registry. Registering the
  // same series again replaces the function.
  void gauge_fn(std::string_view name, std::string_view help, Labels labels,
                std::function<double()> fn);
  // Once this returns, the function is not running and will not run again: an
  // owner removes it before it destroys what the function reads.
  void remove_gauge_fn(std::string_view name, Labels labels);

  // Prometheus text exposition format 0.0.4; families sorted by name, series
  // in creation order.
  std::string prometheus_text() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };

  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> fn;
  };

  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<std::unique_ptr<Series>> series;  // creation order
    std::map<Labels, Series*> by_labels;
  };

  Family& family(std::string_view name, std::string_view help, Type type);
  Series& series(Family& family, Labels labels, bool& created);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace junction::observe
