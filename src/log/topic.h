#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "log/partition.h"
#include "log/topic_config.h"

namespace junction::log {

// A named set of partitions under `<storage>/topics/<name>/<partition>/`,
// with its configuration in `topic.json` beside them.
class Topic {
 public:
  // Opens the topic in `dir`, creating it with `config` when it does not
  // exist. An existing topic keeps its partitions; `config` may raise the
  // partition count (never lower it) and change every other setting.
  static Result<std::unique_ptr<Topic>> open(const std::filesystem::path& dir, std::string name,
                                             const std::optional<TopicConfig>& config, bool repair);

  const std::string& name() const { return name_; }
  const TopicConfig& config() const { return config_; }
  const std::filesystem::path& dir() const { return dir_; }
  int32_t partition_count() const { return static_cast<int32_t>(partitions_.size()); }
  Partition& partition(int32_t id) { return *partitions_.at(static_cast<size_t>(id)); }
  const Partition& partition(int32_t id) const { return *partitions_.at(static_cast<size_t>(id)); }

  // Kafka's default partitioner: murmur2 of the key; round robin without one.
  int32_t choose_partition(std::optional<std::string_view> key);

  uint64_t size_bytes() const;
  // The name of the topic that takes this topic's dead letters.
  std::string dead_letter_topic() const;

 private:
  Topic(std::filesystem::path dir, std::string name, TopicConfig config)
      : dir_(std::move(dir)), name_(std::move(name)), config_(std::move(config)) {}

  std::filesystem::path dir_;
  std::string name_;
  TopicConfig config_;
  std::vector<std::unique_ptr<Partition>> partitions_;
  std::atomic<uint32_t> round_robin_{0};
};

}  // namespace junction::log
