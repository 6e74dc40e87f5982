#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/cpu_affinity.h"
#include "core/units.h"
#include "flow/registry.h"
#include "spec/spec.h"

namespace junction::app {

struct RunOptions {
  size_t io_threads = 0;  // 0 = one per CPU this process may use
  // Whether each I/O thread is pinned to a CPU of its own (core/cpu_affinity.h).
  cpu::Affinity cpu_affinity = cpu::Affinity::kAuto;
  size_t blocking_threads = 4;  // file I/O, fsync and other blocking calls
  // After SIGINT / SIGTERM, in-flight messages get this long to reach their
  // outputs before the process gives up on them (they stay unacked upstream).
  Duration drain_timeout = std::chrono::seconds(30);
  // Cut a corrupt segment off at the damage instead of refusing to start.
  bool repair = false;
  // Loads the spec again from its file, for SIGHUP; errors formatted into
  // `errors`. Without it, SIGHUP is ignored.
  std::function<std::optional<spec::Spec>(std::string& errors)> reload;
};

// Runs a loaded spec until every flow ended or a signal asked to stop.
// Returns the process exit code: 0 on a clean end or drain, 1 when a
// component failed to start or a flow failed, 2 when the drain timed out.
int run_spec(const spec::Spec& spec, const flow::ComponentRegistry& registry,
             const RunOptions& options);

}  // namespace junction::app
