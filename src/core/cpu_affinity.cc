#include "core/cpu_affinity.h"

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace junction::cpu {
namespace {

// Read at static initialisation, on the main thread, before any thread is
// pinned: `Unpinned` restores exactly this mask.
cpu_set_t read_process_mask() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) != 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &mask);
  }
  return mask;
}

const cpu_set_t process_mask = read_process_mask();

thread_local int home_cpu = -1;

bool set_mask(const cpu_set_t& mask) {
  return sched_setaffinity(0, sizeof mask, &mask) == 0;
}

bool set_single(int cpu) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  CPU_SET(cpu, &mask);
  return set_mask(mask);
}

}  // namespace

std::optional<Affinity> parse_affinity(std::string_view text) {
  if (text == "auto") return Affinity::kAuto;
  if (text == "on") return Affinity::kOn;
  if (text == "off") return Affinity::kOff;
  return std::nullopt;
}

const std::vector<int>& usable() {
  static const std::vector<int> cpus = [] {
    std::vector<int> out;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &process_mask)) out.push_back(c);
    }
    return out;
  }();
  return cpus;
}

std::vector<int> placement(Affinity mode, size_t threads, const std::vector<int>& cpus) {
  if (cpus.empty() || threads == 0 || mode == Affinity::kOff) return {};
  // With fewer threads than CPUs, pinning would leave CPUs the scheduler
  // could have moved a worker to; with more, two workers would share a CPU
  // for good. Either way the scheduler does better, unless asked.
  if (mode == Affinity::kAuto && (threads != cpus.size() || cpus.size() < 2)) return {};
  std::vector<int> out;
  out.reserve(threads);
  for (size_t i = 0; i < threads; ++i) out.push_back(cpus[i % cpus.size()]);
  return out;
}

Status pin_this_thread(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) {
    return Error::invalid("CPU " + std::to_string(cpu) + " is out of range");
  }
  if (!set_single(cpu)) {
    return Error::invalid("pinning to CPU " + std::to_string(cpu) + ": " + std::strerror(errno));
  }
  home_cpu = cpu;
  return ok_status();
}

Unpinned::Unpinned() {
  if (home_cpu >= 0) set_mask(process_mask);
}

Unpinned::~Unpinned() {
  if (home_cpu >= 0) set_single(home_cpu);
}

}  // namespace junction::cpu
