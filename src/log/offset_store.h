#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "core/error.h"
#include "log/journal.h"
#include "log/topic.h"

namespace junction::log {

// Committed consumer offsets, kept in the internal compacted topic
// `__consumer_offsets` (one record per commit, keyed by group, topic and
// partition) and mirrored in memory. Reading the topic back at open restores
// the map; compaction keeps it small.
class OffsetStore {
 public:
  static constexpr std::string_view kTopic = "__consumer_offsets";

  OffsetStore(Topic& topic, Journal& journal) : topic_(topic), journal_(journal) {}

  // Replays the topic into memory.
  Status load();

  std::optional<int64_t> committed(const std::string& group, const std::string& topic,
                                   int32_t partition) const;
  // Durable (by the offsets topic's fsync policy) when `done` runs.
  void commit(const std::string& group, const std::string& topic, int32_t partition, int64_t offset,
              std::function<void(Status)> done);
  // Every committed offset: (group, topic, partition) -> offset.
  std::map<std::tuple<std::string, std::string, int32_t>, int64_t> all() const {
    std::lock_guard lock(mu_);
    return offsets_;
  }
  // Every committed offset of a group, by (topic, partition).
  std::map<std::pair<std::string, int32_t>, int64_t> group_offsets(const std::string& group) const;

 private:
  using Key = std::tuple<std::string, std::string, int32_t>;

  // Replays one record of the offsets topic into the map (mu_ held).
  void apply(const Record& r);

  Topic& topic_;
  Journal& journal_;
  mutable std::mutex mu_;
  std::map<Key, int64_t> offsets_;
};

}  // namespace junction::log
