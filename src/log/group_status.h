#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "log/group_coordinator.h"
#include "log/store.h"

namespace junction::log {

// How far a consumer group got on one partition.
struct PartitionProgress {
  int32_t partition = 0;
  std::optional<int64_t> committed;  // none: the group never committed here
  int64_t start = 0;                 // the partition's oldest record kept
  int64_t end = 0;                   // and the offset its next record gets
  int64_t lag = 0;                   // records from where the group resumes to the end
  std::optional<uint64_t> owner;     // the member reading it now
};

// A consumer group on a topic: who is in it now (members of this process's
// coordinator) and what it committed. For `junction topic describe` and
// GET /topics/T/groups/G.
struct GroupStatus {
  std::string group;
  uint64_t generation = 0;  // 0 while the group has no members
  std::vector<GroupCoordinator::MemberStatus> members;
  std::vector<PartitionProgress> partitions;

  int64_t lag() const;
};

// The groups with members on `topic` or committed offsets for it, sorted.
std::vector<std::string> group_names(Store& store, const std::string& topic);

// Nothing when the group has neither members on the topic nor offsets for it.
std::optional<GroupStatus> group_status(
    Store& store, Topic& topic, const std::string& group,
    GroupCoordinator::Clock::time_point now = GroupCoordinator::Clock::now());

}  // namespace junction::log
