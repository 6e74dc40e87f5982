#include "log/group_status.h"

#include <algorithm>
#include <set>

namespace junction::log {

int64_t GroupStatus::lag() const {
  int64_t total = 0;
  for (const auto& p : partitions) total += p.lag;
  return total;
}

std::vector<std::string> group_names(Store& store, const std::string& topic) {
  std::set<std::string> names;
  for (const auto& [key, offset] : store.offsets().all()) {
    if (std::get<1>(key) == topic) names.insert(std::get<0>(key));
  }
  for (auto& name : store.groups().groups_of(topic)) names.insert(std::move(name));
  return {names.begin(), names.end()};
}

std::optional<GroupStatus> group_status(Store& store, Topic& topic, const std::string& group,
                                        GroupCoordinator::Clock::time_point now) {
  GroupStatus out;
  out.group = group;
  bool known = false;
  if (auto m = store.groups().membership(group, topic.name(), now)) {
    known = true;
    out.generation = m->generation;
    out.members = std::move(m->members);
  }
  for (int32_t p = 0; p < topic.partition_count(); ++p) {
    const Partition& part = topic.partition(p);
    PartitionProgress progress;
    progress.partition = p;
    progress.committed = store.offsets().committed(group, topic.name(), p);
    known = known || progress.committed.has_value();
    progress.start = part.start_offset();
    progress.end = part.high_watermark();
    // Without a commit, or below what retention kept, the group resumes at
    // the oldest record: lag counts what it would still read (a group that
    // starts at `latest` reads less).
    const int64_t resume = std::max(progress.committed.value_or(progress.start), progress.start);
    progress.lag = std::max<int64_t>(0, progress.end - resume);
    for (const auto& member : out.members) {
      if (std::find(member.partitions.begin(), member.partitions.end(), p) !=
          member.partitions.end()) {
        progress.owner = member.id;
      }
    }
    out.partitions.push_back(progress);
  }
  if (!known) return std::nullopt;
  return out;
}

}  // namespace junction::log
