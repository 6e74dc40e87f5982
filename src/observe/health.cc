#include "observe/health.h"

#include <algorithm>

#include "observe/json_escape.h"

namespace junction::observe {

void Health::set_ready(std::string component, bool ready, std::string reason) {
  std::lock_guard lock(mu_);
  State& s = components_[std::move(component)];
  s.ready = ready;
  s.reason = std::move(reason);
}

void Health::remove(std::string_view component) {
  std::lock_guard lock(mu_);
  if (auto it = components_.find(component); it != components_.end()) components_.erase(it);
}

bool Health::ready() const {
  std::lock_guard lock(mu_);
  return std::all_of(components_.begin(), components_.end(),
                     [](const auto& kv) { return kv.second.ready; });
}

std::string Health::ready_report_json() const {
  std::lock_guard lock(mu_);
  bool all = std::all_of(components_.begin(), components_.end(),
                         [](const auto& kv) { return kv.second.ready; });
  std::string out =
      all ? R"({"status":"ready","components":{)" : R"({"status":"not_ready","components":{)";
  bool first = true;
  for (const auto& [name, state] : components_) {
    if (!first) out += ',';
    first = false;
    out += '"';
    detail::append_json_escaped(out, name);
    out += state.ready ? R"(":{"ready":true,"reason":")" : R"(":{"ready":false,"reason":")";
    detail::append_json_escaped(out, state.reason);
    out += "\"}";
  }
  out += "}}";
  return out;
}

}  // namespace junction::observe
