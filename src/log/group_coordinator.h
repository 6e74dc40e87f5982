#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace junction::log {

// Consumer-group membership inside one process: the members of a group on a
// topic share its partitions, each partition owned by exactly one member.
// Every join or leave reassigns them (eagerly: each member is told its whole
// new set), partition i going to member i mod n in join order, so the
// assignment is deterministic and balanced within one partition.
class GroupCoordinator {
 public:
  // Called with the member's partitions after every rebalance. Runs on the
  // thread that joined or left; it must only post work, not block.
  using OnAssign = std::function<void(std::vector<int32_t>)>;

  uint64_t join(const std::string& group, const std::string& topic, int32_t partitions,
                OnAssign on_assign);
  void leave(const std::string& group, const std::string& topic, uint64_t member);

  // Members and their partitions, for `topic describe` and the admin API.
  std::map<uint64_t, std::vector<int32_t>> assignment(const std::string& group,
                                                      const std::string& topic) const;
  std::vector<std::string> groups_of(const std::string& topic) const;

 private:
  struct Member {
    uint64_t id;
    OnAssign on_assign;
    std::vector<int32_t> partitions;
  };
  struct Group {
    int32_t partitions = 0;
    std::vector<Member> members;
  };

  // Recomputes the assignment; returns the callbacks to run outside the lock.
  std::vector<std::function<void()>> rebalance(Group& g);

  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Group> groups_;  // (group, topic)
  uint64_t next_member_ = 1;
};

}  // namespace junction::log
