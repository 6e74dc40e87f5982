#include "log/group_coordinator.h"

#include <algorithm>

#include "fmt/format.h"
#include "log/sticky_assignor.h"

namespace junction::log {

Result<uint64_t> GroupCoordinator::join(const std::string& group, const std::string& topic,
                                        int32_t partitions, OnAssign on_assign,
                                        std::chrono::milliseconds session_timeout,
                                        Clock::time_point now) {
  std::vector<std::function<void()>> notify;
  uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    auto& g = groups_[{group, topic}];
    if (g.members.size() >= max_members_) {
      return Error::overloaded(fmt::format("group {} on topic {} already has {} members (the most)",
                                           group, topic, max_members_));
    }
    g.partitions = std::max(g.partitions, partitions);
    id = next_member_++;
    g.members.push_back({id, std::move(on_assign), {}, session_timeout, now});
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
    if (std::erase_if(members, [&](const Member& m) { return m.id == member; }) == 0) return;
    if (members.empty()) {
      groups_.erase(it);
      return;
    }
    notify = rebalance(it->second);
  }
  for (auto& fn : notify) fn();
}

std::optional<Assignment> GroupCoordinator::heartbeat(const std::string& group,
                                                      const std::string& topic, uint64_t member,
                                                      Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = groups_.find({group, topic});
  if (it == groups_.end()) return std::nullopt;
  for (auto& m : it->second.members) {
    if (m.id != member) continue;
    m.heard = now;
    return assignment_of(it->second, m);
  }
  return std::nullopt;
}

std::vector<GroupCoordinator::MemberKey> GroupCoordinator::expire(Clock::time_point now) {
  std::vector<MemberKey> gone;
  std::vector<std::function<void()>> notify;
  {
    std::lock_guard lock(mu_);
    for (auto it = groups_.begin(); it != groups_.end();) {
      auto& members = it->second.members;
      const size_t before = members.size();
      std::erase_if(members, [&](const Member& m) {
        const bool expired = m.session_timeout.count() > 0 && m.heard + m.session_timeout <= now;
        if (expired) gone.emplace_back(it->first.first, it->first.second, m.id);
        return expired;
      });
      if (members.empty()) {
        it = groups_.erase(it);
        continue;
      }
      if (members.size() != before) {
        auto more = rebalance(it->second);
        notify.insert(notify.end(), more.begin(), more.end());
      }
      ++it;
    }
  }
  for (auto& fn : notify) fn();
  return gone;
}

GroupCoordinator::CommitVerdict GroupCoordinator::commit_as(const std::string& group,
                                                            const std::string& topic,
                                                            uint64_t member,
                                                            std::span<const int32_t> partitions,
                                                            std::optional<uint64_t> generation,
                                                            const std::function<void()>& commit) {
  std::lock_guard lock(mu_);
  auto it = groups_.find({group, topic});
  if (it == groups_.end()) return {CommitCheck::kUnknownMember};
  const Group& g = it->second;
  const auto m = std::find_if(g.members.begin(), g.members.end(),
                              [&](const Member& x) { return x.id == member; });
  if (m == g.members.end()) return {CommitCheck::kUnknownMember};
  if (generation && *generation > g.generation) {
    return {CommitCheck::kFutureGeneration, -1, 0, g.generation};
  }
  for (int32_t p : partitions) {
    if (std::find(m->partitions.begin(), m->partitions.end(), p) == m->partitions.end()) {
      return {CommitCheck::kNotOwner, p, 0, g.generation};
    }
    // Records handed out before the current tenure began went to another
    // owner in between, who may have committed past them, or not as far.
    const uint64_t tenure = g.owned_since[static_cast<size_t>(p)];
    if (generation && tenure > *generation) {
      return {CommitCheck::kStaleTenure, p, tenure, g.generation};
    }
  }
  commit();
  return {CommitCheck::kDone, -1, 0, g.generation};
}

std::vector<std::function<void()>> GroupCoordinator::rebalance(Group& g) {
  ++g.generation;
  std::vector<std::vector<int32_t>> owned;
  owned.reserve(g.members.size());
  for (const auto& m : g.members) owned.push_back(m.partitions);
  const auto plan = sticky_assign(g.partitions, owned);

  // A partition that changes owner starts a new tenure, from the committed
  // offset; one that stays keeps its tenure, and its owner what it read.
  g.owned_since.resize(static_cast<size_t>(g.partitions), g.generation);
  for (size_t i = 0; i < g.members.size(); ++i) {
    for (int32_t p : plan[i]) {
      const auto& before = g.members[i].partitions;
      if (std::find(before.begin(), before.end(), p) == before.end()) {
        g.owned_since[static_cast<size_t>(p)] = g.generation;
      }
    }
  }
  // Every member hears of the new generation, even with its partitions
  // unchanged, so that what it reports is current.
  std::vector<std::function<void()>> notify;
  for (size_t i = 0; i < g.members.size(); ++i) {
    auto& m = g.members[i];
    m.partitions = plan[i];
    notify.push_back([fn = m.on_assign, a = assignment_of(g, m)] { fn(a); });
  }
  return notify;
}

Assignment GroupCoordinator::assignment_of(const Group& g, const Member& m) {
  Assignment a{g.generation, m.partitions, {}};
  for (int32_t p : m.partitions) a.owned_since.push_back(g.owned_since[static_cast<size_t>(p)]);
  return a;
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

std::optional<GroupCoordinator::Membership> GroupCoordinator::membership(
    const std::string& group, const std::string& topic, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  auto it = groups_.find({group, topic});
  if (it == groups_.end()) return std::nullopt;
  Membership out{it->second.generation, {}};
  for (const auto& m : it->second.members) {
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - m.heard);
    out.members.push_back(
        {m.id, m.partitions, m.session_timeout, std::max(since, std::chrono::milliseconds(0))});
  }
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

size_t GroupCoordinator::member_count(const std::string& group, const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto it = groups_.find({group, topic});
  return it == groups_.end() ? 0 : it->second.members.size();
}

}  // namespace junction::log
