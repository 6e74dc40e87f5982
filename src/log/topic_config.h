#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/units.h"
#include "log/record_batch.h"

namespace junction::log {

// When an append counts as done. `always`: after fdatasync (group commit
// makes one fsync cover every append waiting for it); `interval`: written to
// the page cache and synced every `interval`; `never`: left to the OS.
struct FsyncPolicy {
  enum class Mode { kAlways, kInterval, kNever };
  Mode mode = Mode::kAlways;
  Duration interval{};

  static Result<FsyncPolicy> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const FsyncPolicy&) const = default;
};

struct TopicConfig {
  int32_t partitions = 1;
  FsyncPolicy fsync;
  uint64_t segment_bytes = 128ull << 20;
  Duration segment_age = std::chrono::hours(24 * 7);
  std::optional<Duration> retention_age;    // unset: keep forever
  std::optional<uint64_t> retention_bytes;  // per partition; unset: no bound
  bool compaction = false;
  Duration tombstone_retention = std::chrono::hours(24);
  uint64_t max_message_bytes = 1ull << 20;  // one record's key + value + headers
  std::optional<uint64_t> max_bytes;        // the whole topic; appends past it fail
  Compression compression = Compression::kNone;
  std::string dead_letter_topic;  // empty: "<topic>.dlq" when first needed
  int32_t max_deliveries = 5;     // then to the dead-letter topic

  bool operator==(const TopicConfig&) const = default;
};

// Topic metadata as stored beside the partitions (topic.json), so that the
// CLI can open a storage dir without the spec.
std::string topic_config_to_json(const TopicConfig& config);
Result<TopicConfig> topic_config_from_json(std::string_view json);

// Topic names are used as directory names: [A-Za-z0-9._-], 1..249 chars, not "." or "..".
Status validate_topic_name(std::string_view name);

}  // namespace junction::log
