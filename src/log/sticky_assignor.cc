#include "log/sticky_assignor.h"

#include <algorithm>
#include <numeric>

namespace junction::log {
namespace {

// How many partitions each member may hold: the fair share, plus one for the
// `partitions % n` members that own the most now (ties: the earlier member).
std::vector<size_t> quotas(int32_t partitions, const std::vector<std::vector<int32_t>>& owned) {
  const size_t n = owned.size();
  const size_t total = static_cast<size_t>(std::max(partitions, 0));
  std::vector<size_t> held(n);
  for (size_t i = 0; i < n; ++i) {
    held[i] = static_cast<size_t>(std::count_if(
        owned[i].begin(), owned[i].end(), [&](int32_t p) { return p >= 0 && p < partitions; }));
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return held[a] > held[b]; });
  std::vector<size_t> quota(n, total / n);
  for (size_t k = 0; k < total % n; ++k) ++quota[order[k]];
  return quota;
}

}  // namespace

std::vector<std::vector<int32_t>> sticky_assign(int32_t partitions,
                                                const std::vector<std::vector<int32_t>>& owned) {
  const size_t n = owned.size();
  std::vector<std::vector<int32_t>> plan(n);
  if (n == 0 || partitions <= 0) return plan;
  const std::vector<size_t> quota = quotas(partitions, owned);

  // Each member keeps what it owns, lowest first, up to its quota. A
  // partition listed twice stays with the first member that claims it.
  std::vector<bool> taken(static_cast<size_t>(partitions), false);
  for (size_t i = 0; i < n; ++i) {
    std::vector<int32_t> mine = owned[i];
    std::sort(mine.begin(), mine.end());
    for (int32_t p : mine) {
      if (plan[i].size() >= quota[i]) break;
      if (p < 0 || p >= partitions || taken[static_cast<size_t>(p)]) continue;
      taken[static_cast<size_t>(p)] = true;
      plan[i].push_back(p);
    }
  }
  // What nobody kept goes, lowest first, to the members under their quota.
  int32_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    while (plan[i].size() < quota[i]) {
      while (taken[static_cast<size_t>(next)]) ++next;
      taken[static_cast<size_t>(next)] = true;
      plan[i].push_back(next);
    }
    std::sort(plan[i].begin(), plan[i].end());
  }
  return plan;
}

}  // namespace junction::log
