// Prometheus text exposition format 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/
#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "observe/metrics.h"

namespace junction::observe {
namespace {

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    // Shortest text that reads back to the same double: "0.25", "1e-05", "3".
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

// HELP text escapes backslash and newline; label values also escape quotes.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `extra` is the histogram's le label, which goes after the series' own.
void append_labels(std::string& out, const Labels& labels, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  auto one = [&](std::string_view name, std::string_view value) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    append_escaped(out, value, true);
    out += '"';
  };
  for (const auto& [name, value] : labels) one(name, value);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const Labels& labels, const std::string& value) {
  out += name;
  out += suffix;
  append_labels(out, labels);
  out += ' ';
  out += value;
  out += '\n';
}

// A throwing callback must not take the whole scrape down with it.
double call_gauge_fn(const std::function<double()>& fn) {
  try {
    return fn();
  } catch (...) {
    return NAN;
  }
}

std::string number(double v) {
  std::string s;
  append_number(s, v);
  return s;
}

}  // namespace

std::string Registry::prometheus_text() const {
  std::string out;
  // Held throughout so that remove_gauge_fn can promise its function is no
  // longer running once it returns.
  std::lock_guard lock(mu_);
  for (const auto& [name, f] : families_) {
    if (f.series.empty()) continue;
    out += "# HELP ";
    out += name;
    out += ' ';
    append_escaped(out, f.help, false);
    out += "\n# TYPE ";
    out += name;
    switch (f.type) {
      case Type::kCounter:
        out += " counter\n";
        break;
      case Type::kGauge:
        out += " gauge\n";
        break;
      case Type::kHistogram:
        out += " histogram\n";
        break;
    }
    for (const auto& s : f.series) {
      switch (f.type) {
        case Type::kCounter:
          append_sample(out, name, "", s->labels, std::to_string(s->counter->value()));
          break;
        case Type::kGauge:
          append_sample(out, name, "", s->labels,
                        number(s->fn ? call_gauge_fn(s->fn) : s->gauge->value()));
          break;
        case Type::kHistogram: {
          HistogramSnapshot snap = s->histogram->snapshot();
          for (size_t i = 0; i < snap.cumulative.size(); ++i) {
            out += name;
            out += "_bucket";
            append_labels(out, s->labels, "le",
                          i < snap.bounds.size() ? number(snap.bounds[i]) : "+Inf");
            out += ' ';
            out += std::to_string(snap.cumulative[i]);
            out += '\n';
          }
          append_sample(out, name, "_sum", s->labels, number(snap.sum));
          append_sample(out, name, "_count", s->labels, std::to_string(snap.count));
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace junction::observe
