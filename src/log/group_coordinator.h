#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"

namespace junction::log {

// A member's share of a group's partitions, as of one rebalance.
struct Assignment {
  uint64_t generation = 0;  // counts the group's rebalances
  std::vector<int32_t> partitions;
  // owned_since[i]: the generation in which partitions[i] came to this
  // member. A partition it lost and got back between two looks has a newer
  // one than it remembers: what it had read of it is stale.
  std::vector<uint64_t> owned_since;
};

// Consumer-group membership: the members of a group on a topic share its
// partitions, each partition owned by exactly one member. Members are flow
// inputs in this process and remote consumers of the HTTP API alike. Every
// join, leave or expiry is a rebalance: a new generation, told to every
// member with its whole set. The assignment is sticky (sticky_assignor.h):
// balanced within one partition, a member keeps what it owns as far as that
// allows, so only the partitions that must move change owner, and only their
// new owners start them over from the committed offset.
//
// A member that joins with a session timeout (a remote one) must heartbeat
// within it; expire() removes those that did not. Only a partition's current
// owner may commit its offset (commit_as): a member that lost a partition in a
// rebalance cannot move the offset under its new owner. A member that names
// the generation its records came from is fenced by tenure as well: having
// lost a partition and got it back, it cannot commit what it computed from
// records of its earlier tenure, which went to another owner in between.
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

  enum class CommitCheck {
    kDone,
    kUnknownMember,
    kNotOwner,          // the member does not own `partition` now
    kStaleTenure,       // its tenure of `partition` began after the generation named
    kFutureGeneration,  // the generation named is newer than the group's
  };
  struct CommitVerdict {
    CommitCheck check = CommitCheck::kDone;
    int32_t partition = -1;   // the partition refused (kNotOwner, kStaleTenure)
    uint64_t tenure = 0;      // the generation its current tenure began in (kStaleTenure)
    uint64_t generation = 0;  // the group's generation at the check
  };
  // Runs `commit` (which should only issue the writes) under the
  // coordinator's lock if `member` owns every one of `partitions` now, so no
  // rebalance can slip between the check and the writes; all of them or
  // none. With `generation` (the one the member's records were handed out
  // in), each partition's current tenure must also have begun at or before
  // it.
  CommitVerdict commit_as(const std::string& group, const std::string& topic, uint64_t member,
                          std::span<const int32_t> partitions, std::optional<uint64_t> generation,
                          const std::function<void()>& commit);
  // One partition, fenced by ownership only.
  CommitCheck commit_as(const std::string& group, const std::string& topic, uint64_t member,
                        int32_t partition, const std::function<void()>& commit) {
    return commit_as(group, topic, member, std::span(&partition, 1), std::nullopt, commit).check;
  }

  // Members and their partitions.
  std::map<uint64_t, std::vector<int32_t>> assignment(const std::string& group,
                                                      const std::string& topic) const;

  // What `topic describe` and GET /topics/T/groups/G show of a member.
  struct MemberStatus {
    uint64_t id = 0;
    std::vector<int32_t> partitions;
    std::chrono::milliseconds session_timeout{0};  // zero: a member in this process
    std::chrono::milliseconds since_heard{0};      // since its last heartbeat (or join)
  };
  struct Membership {
    uint64_t generation = 0;
    std::vector<MemberStatus> members;  // in join order
  };
  // Nothing when the group has no members on the topic.
  std::optional<Membership> membership(const std::string& group, const std::string& topic,
                                       Clock::time_point now = Clock::now()) const;
  std::vector<std::string> groups_of(const std::string& topic) const;
  size_t member_count(const std::string& group, const std::string& topic) const;

 private:
  struct Member {
    uint64_t id;
    OnAssign on_assign;
    std::vector<int32_t> partitions;
    std::chrono::milliseconds session_timeout{0};
    Clock::time_point heard{};  // its join or last heartbeat
  };
  struct Group {
    int32_t partitions = 0;
    uint64_t generation = 0;
    std::vector<Member> members;
    // owned_since[p]: the generation partition p last changed owner.
    std::vector<uint64_t> owned_since;
  };
  using GroupKey = std::pair<std::string, std::string>;  // (group, topic)

  // Recomputes the assignment; returns the callbacks to run outside the lock.
  std::vector<std::function<void()>> rebalance(Group& g);
  static Assignment assignment_of(const Group& g, const Member& m);

  const size_t max_members_;
  mutable std::mutex mu_;
  std::map<GroupKey, Group> groups_;
  uint64_t next_member_ = 1;
};

}  // namespace junction::log
