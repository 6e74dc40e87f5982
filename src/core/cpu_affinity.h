#pragma once

// Pinning I/O threads to CPUs. Each I/O thread runs an event loop that stays
// busy under load; left to the scheduler, two of them can end up stacked on
// one CPU (the load balancer counts tasks, and a CPU with two busy workers
// looks no fuller than one with a load generator and an upstream), where they
// take turns in scheduler ticks of several milliseconds while every request
// on the waiting one stalls. Pinning worker i to CPU i rules that out, as
// nginx's `worker_cpu_affinity` and Seastar's shard-per-core do.
//
// A thread inherits its creator's affinity, so code on a pinned thread that
// starts threads (our own, or a library's) does so inside an `Unpinned`
// scope: those threads may then run on every CPU the process may use.

#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"

namespace junction::cpu {

enum class Affinity {
  kAuto,  // pin when there is one I/O thread per usable CPU
  kOn,    // pin, round robin over the usable CPUs
  kOff,   // never pin
};

std::optional<Affinity> parse_affinity(std::string_view text);

// The CPUs this process was allowed to run on when it started (its affinity
// mask, which a container or `taskset` may narrow), in ascending order.
const std::vector<int>& usable();

// The CPU each of `threads` I/O threads is pinned to under `mode`, given the
// usable CPUs; empty when they are not pinned.
std::vector<int> placement(Affinity mode, size_t threads, const std::vector<int>& cpus);

// Pins the calling thread to `cpu` and remembers it as the thread's CPU.
Status pin_this_thread(int cpu);

// While alive, lets the calling thread (if pinned) run on every usable CPU,
// so that threads started meanwhile are not confined to its CPU. Re-pins it
// on destruction; nested or interleaved scopes (coroutines on one thread)
// all end pinned.
class Unpinned {
 public:
  Unpinned();
  ~Unpinned();
  Unpinned(const Unpinned&) = delete;
  Unpinned& operator=(const Unpinned&) = delete;
};

// A thread that may run on every usable CPU, even when started from a
// pinned one.
template <class F>
std::thread unpinned_thread(F&& body) {
  Unpinned scope;
  return std::thread(std::forward<F>(body));
}

}  // namespace junction::cpu
