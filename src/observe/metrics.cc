#include "observe/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace junction::observe {
namespace {

// Misuse of the registry is a bug in the caller, not a runtime condition to
// recover from; failing loudly at startup beats exporting garbage.
[[noreturn]] void die(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "junction: metrics registry: %.*s: '%.*s'\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(name.size()), name.data());
  std::abort();
}

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_rest(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

bool valid_metric_name(std::string_view n) {
  if (n.empty() || !(name_start(n[0]) || n[0] == ':')) return false;
  return std::all_of(n.begin() + 1, n.end(), [](char c) { return name_rest(c) || c == ':'; });
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || !name_start(n[0])) return false;
  return std::all_of(n.begin() + 1, n.end(), name_rest);
}

constexpr std::string_view kHistogramSuffixes[] = {"_bucket", "_sum", "_count"};

}  // namespace

const std::vector<double>& default_latency_buckets() {
  static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                               1,      2.5,     5,      10};
  return kBuckets;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (!bounds_.empty() && bounds_.back() == INFINITY) bounds_.pop_back();
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (std::isnan(bounds_[i]) || (i > 0 && !(bounds_[i - 1] < bounds_[i]))) {
      die("histogram bounds must be strictly ascending and not NaN", "");
    }
  }
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double value) {
  // Bucket i holds values in (bounds[i-1], bounds[i]]; NaN compares with
  // nothing, so it goes to +Inf as Prometheus clients do.
  size_t i = std::isnan(value)
                 ? bounds_.size()
                 : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                       bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, Type type) {
  if (!valid_metric_name(name)) die("invalid metric name", name);
  if (auto it = families_.find(name); it != families_.end()) {
    if (it->second.type != type) die("metric registered again with another type", name);
    return it->second;
  }
  // A histogram exports <name>_bucket, _sum and _count: a separate family
  // under one of those names would produce a clashing exposition.
  for (std::string_view suffix : kHistogramSuffixes) {
    if (type == Type::kHistogram) {
      if (families_.count(std::string(name) + std::string(suffix))) {
        die("name clashes with a histogram's series", name);
      }
    } else if (name.size() > suffix.size() && name.ends_with(suffix)) {
      auto base = families_.find(name.substr(0, name.size() - suffix.size()));
      if (base != families_.end() && base->second.type == Type::kHistogram) {
        die("name clashes with a histogram's series", name);
      }
    }
  }
  Family& f = families_[std::string(name)];
  f.name = std::string(name);
  f.help = std::string(help);
  f.type = type;
  return f;
}

Registry::Series& Registry::series(Family& f, Labels labels, bool& created) {
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& key = labels[i].first;
    if (!valid_label_name(key)) die("invalid label name", key);
    if (key.starts_with("__")) die("label names starting with __ are reserved", key);
    if (f.type == Type::kHistogram && key == "le") die("label 'le' is reserved", f.name);
    if (i > 0 && labels[i - 1].first == key) die("duplicate label name", key);
  }
  if (auto it = f.by_labels.find(labels); it != f.by_labels.end()) {
    created = false;
    return *it->second;
  }
  created = true;
  auto s = std::make_unique<Series>();
  s->labels = labels;
  Series& ref = *s;
  f.series.push_back(std::move(s));
  f.by_labels.emplace(std::move(labels), &ref);
  return ref;
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  bool created = false;
  Series& s = series(family(name, help, Type::kCounter), std::move(labels), created);
  if (created) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  bool created = false;
  Series& s = series(family(name, help, Type::kGauge), std::move(labels), created);
  if (created) s.gauge = std::make_unique<Gauge>();
  if (!s.gauge) die("series already registered as a callback gauge", name);
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, Labels labels,
                               std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  bool created = false;
  Series& s = series(family(name, help, Type::kHistogram), std::move(labels), created);
  if (created) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

void Registry::gauge_fn(std::string_view name, std::string_view help, Labels labels,
                        std::function<double()> fn) {
  if (!fn) die("callback gauge without a function", name);
  std::lock_guard lock(mu_);
  bool created = false;
  Series& s = series(family(name, help, Type::kGauge), std::move(labels), created);
  if (s.gauge) die("series already registered as a plain gauge", name);
  s.fn = std::move(fn);
}

void Registry::remove_gauge_fn(std::string_view name, Labels labels) {
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::lock_guard lock(mu_);
  auto fit = families_.find(name);
  if (fit == families_.end()) return;
  Family& f = fit->second;
  auto sit = f.by_labels.find(labels);
  if (sit == f.by_labels.end() || !sit->second->fn) return;
  Series* target = sit->second;
  f.by_labels.erase(sit);
  std::erase_if(f.series, [target](const auto& p) { return p.get() == target; });
}

}  // namespace junction::observe
