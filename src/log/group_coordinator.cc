#include "log/group_coordinator.h"

#include <algorithm>

namespace junction::log {

uint64_t GroupCoordinator::join(const std::string& group, const std::string& topic,
                                int32_t partitions, OnAssign on_assign) {
  std::vector<std::function<void()>> notify;
  uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    auto& g = groups_[{group, topic}];
    g.partitions = std::max(g.partitions, partitions);
    id = next_member_++;
    g.members.push_back({id, std::move(on_assign), {}});
    notify = rebalance(g);
  }
  for (auto& fn : notify) fn();
  return id;
}

void GroupCoordinator::leave(const std::string& group, const std::string& topic, uint64_t member) {
  std::vector<std::function<void()>> notify;
  {
    std::lock_guard lock(mu_);
    auto it = groups_.find({group, topic});
    if (it == groups_.end()) return;
    auto& members = it->second.members;
    std::erase_if(members, [&](const Member& m) { return m.id == member; });
    if (members.empty()) {
      groups_.erase(it);
      return;
    }
    notify = rebalance(it->second);
  }
  for (auto& fn : notify) fn();
}

std::vector<std::function<void()>> GroupCoordinator::rebalance(Group& g) {
  std::vector<std::vector<int32_t>> plan(g.members.size());
  for (int32_t p = 0; p < g.partitions; ++p) {
    plan[static_cast<size_t>(p) % g.members.size()].push_back(p);
  }
  std::vector<std::function<void()>> notify;
  for (size_t i = 0; i < g.members.size(); ++i) {
    auto& m = g.members[i];
    if (m.partitions == plan[i] && i + 1 != g.members.size()) continue;
    m.partitions = plan[i];
    notify.push_back([fn = m.on_assign, parts = plan[i]] { fn(parts); });
  }
  return notify;
}

std::map<uint64_t, std::vector<int32_t>> GroupCoordinator::assignment(
    const std::string& group, const std::string& topic) const {
  std::map<uint64_t, std::vector<int32_t>> out;
  std::lock_guard lock(mu_);
  auto it = groups_.find({group, topic});
  if (it == groups_.end()) return out;
  for (const auto& m : it->second.members) out[m.id] = m.partitions;
  return out;
}

std::vector<std::string> GroupCoordinator::groups_of(const std::string& topic) const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (const auto& [key, g] : groups_) {
    if (key.second == topic) out.push_back(key.first);
  }
  return out;
}

}  // namespace junction::log
