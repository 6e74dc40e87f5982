#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace junction::observe {

// Readiness as reported by /health/ready. Each component (listener, broker
// connection, flow) reports for itself; the process is ready when every
// component that has reported is ready, so a process with none is ready.
// Thread-safe; not meant for a hot path.
class Health {
 public:
  void set_ready(std::string component, bool ready, std::string reason = {});
  // For a component that goes away for good (a flow that was undeployed).
  void remove(std::string_view component);

  bool ready() const;
  // {"status":"ready"|"not_ready","components":{"<name>":{"ready":true,"reason":""}}}
  // Components sorted by name.
  std::string ready_report_json() const;
  // Liveness only says the process can still answer; a stuck component shows
  // up in readiness, where restarting would not help.
  bool live() const { return true; }

 private:
  struct State {
    bool ready = false;
    std::string reason;
  };
  mutable std::mutex mu_;
  std::map<std::string, State, std::less<>> components_;
};

}  // namespace junction::observe
