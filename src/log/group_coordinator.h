#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"

namespace junction::log {

// A member's share of a group's partitions, as of one rebalance.
struct Assignment {
  uint64_t generation = 0;  // counts the group's rebalances
  std::vector<int32_t> partitions;
};

// Consumer-group membership: the members of a group on a topic share its
// partitions, each partition owned by exactly one member. Members are flow
// inputs in this process and remote consumers of the HTTP API alike. Every
// join, leave or expiry reassigns them (eagerly: each member is told its
// whole new set, with a new generation), partition i going to member i mod n
// in join order, so the assignment is deterministic and balanced within one
// partition.
//
// A member that joins with a session timeout (a remote one) must heartbeat
// within it; expire() removes those that did not. Only a partition's current
// owner may commit its offset (commit_as): a member that lost a partition in a
// rebalance cannot move the offset under its new owner.
class GroupCoordinator {
 public:
  using Clock = std::chrono::steady_clock;
  // Called with the member's partitions after every rebalance. Runs on the
  // thread that joined, left or expired members; it must only post work.
  using OnAssign = std::function<void(Assignment)>;

  static constexpr size_t kDefaultMaxMembers = 64;

  explicit GroupCoordinator(size_t max_members = kDefaultMaxMembers) : max_members_(max_members) {}

  // Adds a member; fails as `overloaded` when the group already has
  // max_members on this topic. A zero session timeout means the member never
  // expires and leaves explicitly (in-process members).
  Result<uint64_t> join(const std::string& group, const std::string& topic, int32_t partitions,
                        OnAssign on_assign,
                        std::chrono::milliseconds session_timeout = std::chrono::milliseconds(0),
                        Clock::time_point now = Clock::now());
  void leave(const std::string& group, const std::string& topic, uint64_t member);

  // Extends the member's session; its current assignment, or nothing once it
  // left or expired.
  std::optional<Assignment> heartbeat(const std::string& group, const std::string& topic,
                                      uint64_t member, Clock::time_point now = Clock::now());

  // A removed member: (group, topic, member id).
  using MemberKey = std::tuple<std::string, std::string, uint64_t>;
  // Removes every member whose session ran out, reassigning its partitions.
  std::vector<MemberKey> expire(Clock::time_point now = Clock::now());

  enum class CommitCheck { kDone, kUnknownMember, kNotOwner };
  // Runs `commit` (which should only issue the write) under the coordinator's
  // lock if `member` owns `partition` now, so no rebalance can slip between
  // the check and the write.
  CommitCheck commit_as(const std::string& group, const std::string& topic, uint64_t member,
                        int32_t partition, const std::function<void()>& commit);

  // Members and their partitions, for `topic describe` and the admin API.
  std::map<uint64_t, std::vector<int32_t>> assignment(const std::string& group,
                                                      const std::string& topic) const;
  std::vector<std::string> groups_of(const std::string& topic) const;
  size_t member_count(const std::string& group, const std::string& topic) const;

 private:
  struct Member {
    uint64_t id;
    OnAssign on_assign;
    std::vector<int32_t> partitions;
    std::chrono::milliseconds session_timeout{0};
    Clock::time_point deadline{};
  };
  struct Group {
    int32_t partitions = 0;
    uint64_t generation = 0;
    std::vector<Member> members;
  };
  using GroupKey = std::pair<std::string, std::string>;  // (group, topic)

  // Recomputes the assignment; returns the callbacks to run outside the lock.
  std::vector<std::function<void()>> rebalance(Group& g);
  const Member* find(const std::string& group, const std::string& topic, uint64_t member) const;

  const size_t max_members_;
  mutable std::mutex mu_;
  std::map<GroupKey, Group> groups_;
  uint64_t next_member_ = 1;
};

}  // namespace junction::log
