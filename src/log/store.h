#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/units.h"
#include "log/group_coordinator.h"
#include "log/journal.h"
#include "log/offset_store.h"
#include "log/topic.h"

namespace junction::log {

struct StoreOptions {
  std::filesystem::path dir;
  FsyncPolicy default_fsync;  // for topics that do not set their own
  bool repair = false;        // cut corruption off instead of refusing to start
  size_t max_pending_bytes = 64u << 20;
  Duration maintenance_interval = std::chrono::seconds(5);  // retention
  Duration compaction_interval = std::chrono::minutes(1);   // per compacted partition
};

// The embedded log: every topic under `<dir>/topics/`, the journal thread
// that writes them, consumer offsets and groups, and a maintenance thread for
// retention. One process owns a storage dir at a time (an flock on
// `<dir>/.lock`), so the CLI cannot write beside a running instance.
class Store {
 public:
  static Result<std::unique_ptr<Store>> open(StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const StoreOptions& options() const { return options_; }

  // Opens or creates a topic. With a config, creates it or applies the config
  // (partitions may only grow); without, opens it only if it exists.
  Result<Topic*> open_topic(const std::string& name, const std::optional<TopicConfig>& config);
  // An open or existing topic, or null.
  Topic* find_topic(const std::string& name);
  std::vector<std::string> topic_names();
  Status delete_topic(const std::string& name);

  // Checks bounds, encodes `records` as one batch and appends it to the
  // partition (-1: by the first record's key, or round robin). `done` runs on
  // the journal thread once the append is durable by the topic's policy.
  void produce(Topic& topic, int32_t partition, std::span<const Record> records,
               Journal::Callback done);

  OffsetStore& offsets() { return *offsets_; }
  GroupCoordinator& groups() { return groups_; }
  Journal& journal() { return *journal_; }

  // One retention (and compaction) pass over every topic; the maintenance
  // thread calls it every maintenance_interval.
  void run_maintenance();

  // Counts appends, bytes and fsyncs, and exposes each open topic's
  // partitions (start, end, bytes) as gauges. Call once, before producing;
  // close() removes the gauges, so the registry may outlive the store.
  void attach_metrics(observe::Registry& registry);

  // Stops the maintenance thread, then writes what is queued and stops the journal.
  void close();

 private:
  explicit Store(StoreOptions options) : options_(std::move(options)) {}
  Status lock_dir();
  void maintenance_loop();

  StoreOptions options_;
  int lock_fd_ = -1;
  std::unique_ptr<Journal> journal_;
  GroupCoordinator groups_;
  std::unique_ptr<OffsetStore> offsets_;

  std::mutex topics_mu_;
  std::map<std::string, std::unique_ptr<Topic>> topics_;

  observe::Registry* metrics_ = nullptr;
  std::vector<observe::Labels> partition_gauges_;
  std::mutex maintenance_run_mu_;  // one pass at a time: retention and compaction never overlap
  std::map<std::pair<std::string, int32_t>, int64_t> last_compaction_ms_;
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool closing_ = false;
  std::thread maintenance_;
};

}  // namespace junction::log
