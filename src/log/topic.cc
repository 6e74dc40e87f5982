#include "log/topic.h"

#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "log/file.h"
#include "log/murmur2.h"

namespace junction::log {
namespace fs = std::filesystem;

namespace {

Result<std::optional<TopicConfig>> read_config(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::optional<TopicConfig>();
  std::stringstream ss;
  ss << in.rdbuf();
  auto config = topic_config_from_json(ss.str());
  if (!config) return config.error().wrap(path.string());
  return std::optional<TopicConfig>(std::move(*config));
}

// Written to a temporary file and renamed, so a crash leaves the old or the new file.
Status write_config(const fs::path& dir, const TopicConfig& config) {
  const auto tmp = dir / "topic.json.tmp";
  {
    auto f = File::open(tmp, true);
    if (!f) return f.error();
    if (auto st = f->truncate(0); !st) return st;
    if (auto st = f->write_at(0, topic_config_to_json(config)); !st) return st;
    if (auto st = f->sync_data(); !st) return st;
  }
  std::error_code ec;
  fs::rename(tmp, dir / "topic.json", ec);
  if (ec)
    return Error::transient(
        fmt::format("cannot write {}: {}", (dir / "topic.json").string(), ec.message()));
  return sync_directory(dir);
}

}  // namespace

Result<std::unique_ptr<Topic>> Topic::open(const fs::path& dir, std::string name,
                                           const std::optional<TopicConfig>& config, bool repair) {
  if (auto st = validate_topic_name(name); !st) return st.error();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::transient(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  auto stored = read_config(dir / "topic.json");
  if (!stored) return stored.error();
  if (!*stored && !config) return Error::invalid(fmt::format("topic '{}' does not exist", name));
  TopicConfig effective = config ? *config : **stored;
  if (*stored && config && config->partitions < (*stored)->partitions) {
    return Error::invalid(fmt::format(
        "topic '{}' has {} partitions; the spec asks for {}, and partitions can only be added "
        "(fewer would move keys between partitions and strand stored records)",
        name, (*stored)->partitions, config->partitions));
  }
  if (!*stored || **stored != effective) {
    if (auto st = write_config(dir, effective); !st) return st.error();
  }
  std::unique_ptr<Topic> topic(new Topic(dir, std::move(name), effective));
  for (int32_t i = 0; i < effective.partitions; ++i) {
    auto p = Partition::open(dir / std::to_string(i), topic->name_, i, effective, repair);
    if (!p) return p.error().wrap(fmt::format("topic {} partition {}", topic->name_, i));
    topic->partitions_.push_back(std::move(*p));
  }
  return topic;
}

int32_t Topic::choose_partition(std::optional<std::string_view> key) {
  if (key) return partition_for_key(*key, partition_count());
  return static_cast<int32_t>(round_robin_.fetch_add(1, std::memory_order_relaxed) %
                              static_cast<uint32_t>(partition_count()));
}

uint64_t Topic::size_bytes() const {
  uint64_t total = 0;
  for (const auto& p : partitions_) total += p->size_bytes();
  return total;
}

std::string Topic::dead_letter_topic() const {
  return config_.dead_letter_topic.empty() ? name_ + ".dlq" : config_.dead_letter_topic;
}

}  // namespace junction::log
