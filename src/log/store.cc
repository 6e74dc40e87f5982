#include "log/store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "core/cpu_affinity.h"
#include "core/message.h"
#include "fmt/format.h"
#include "log/compactor.h"

namespace junction::log {
namespace fs = std::filesystem;

Result<std::unique_ptr<Store>> Store::open(StoreOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir / "topics", ec);
  if (ec) {
    return Error::transient(
        fmt::format("cannot create storage dir {}: {}", options.dir.string(), ec.message()));
  }
  std::unique_ptr<Store> store(new Store(std::move(options)));
  if (auto st = store->lock_dir(); !st) return st.error();
  store->journal_ = std::make_unique<Journal>(store->options_.max_pending_bytes);

  TopicConfig offsets_config;
  offsets_config.partitions = 1;
  offsets_config.compaction = true;
  offsets_config.fsync = store->options_.default_fsync;
  auto offsets_topic = store->open_topic(std::string(OffsetStore::kTopic), offsets_config);
  if (!offsets_topic) return offsets_topic.error();
  store->offsets_ = std::make_unique<OffsetStore>(**offsets_topic, *store->journal_);
  if (auto st = store->offsets_->load(); !st) return st.error().wrap("consumer offsets");

  store->maintenance_ = cpu::unpinned_thread([s = store.get()] { s->maintenance_loop(); });
  return store;
}

Store::~Store() {
  close();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status Store::lock_dir() {
  const auto path = options_.dir / ".lock";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    return Error::transient(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    (void)::pread(lock_fd_, pid, sizeof(pid) - 1, 0);
    return Error::permanent(fmt::format(
        "storage dir {} is in use by another process (pid {}); stop it, or talk to it with "
        "--server instead of opening its files",
        options_.dir.string(), std::string(pid).empty() ? "unknown" : std::string(pid)));
  }
  const auto text = std::to_string(::getpid());
  if (::ftruncate(lock_fd_, 0) == 0) (void)::pwrite(lock_fd_, text.data(), text.size(), 0);
  return ok_status();
}

Result<Topic*> Store::open_topic(const std::string& name,
                                 const std::optional<TopicConfig>& config) {
  std::lock_guard lock(topics_mu_);
  auto it = topics_.find(name);
  if (it != topics_.end()) {
    if (!config || *config == it->second->config()) return it->second.get();
    // Producers and consumers hold the open topic; swapping it under them is
    // not safe, and config changes are rare: they apply at the next start.
    return Error::invalid(fmt::format(
        "topic '{}' is open with a different configuration; restart to apply the new one", name));
  }
  auto dir = options_.dir / "topics" / name;
  if (!config && !fs::exists(dir / "topic.json")) {
    return Error::invalid(fmt::format("topic '{}' does not exist", name));
  }
  auto topic = Topic::open(dir, name, config, options_.repair);
  if (!topic) return topic.error();
  Topic* raw = topic->get();
  topics_[name] = std::move(*topic);
  return raw;
}

Topic* Store::find_topic(const std::string& name) {
  {
    std::lock_guard lock(topics_mu_);
    auto it = topics_.find(name);
    if (it != topics_.end()) return it->second.get();
  }
  auto opened = open_topic(name, std::nullopt);
  return opened ? *opened : nullptr;
}

std::vector<std::string> Store::topic_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.dir / "topics", ec)) {
    if (fs::exists(entry.path() / "topic.json")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status Store::delete_topic(const std::string& name) {
  if (name == OffsetStore::kTopic)
    return Error::invalid("the consumer offsets topic cannot be deleted");
  auto dir = options_.dir / "topics" / name;
  if (!fs::exists(dir / "topic.json")) {
    return Error::invalid(fmt::format("topic '{}' does not exist", name));
  }
  std::unique_ptr<Topic> retired;
  {
    std::lock_guard lock(topics_mu_);
    auto it = topics_.find(name);
    if (it != topics_.end()) {
      retired = std::move(it->second);
      topics_.erase(it);
    }
  }
  if (retired) {
    std::promise<void> done;
    journal_->barrier([&] {
      for (int32_t i = 0; i < retired->partition_count(); ++i)
        journal_->forget(&retired->partition(i));
      done.set_value();
    });
    done.get_future().wait();
  }
  // Rename first so a crash mid-delete never leaves a half topic that looks whole.
  const auto doomed = options_.dir / "topics" / fmt::format(".deleted-{}-{}", name, now_ms());
  std::error_code ec;
  fs::rename(dir, doomed, ec);
  if (ec) return Error::transient(fmt::format("cannot delete topic '{}': {}", name, ec.message()));
  (void)sync_directory(options_.dir / "topics");
  fs::remove_all(doomed, ec);
  return ok_status();
}

void Store::produce(Topic& topic, int32_t partition, std::span<const Record> records,
                    Journal::Callback done) {
  if (records.empty()) {
    done(Error::invalid("nothing to produce"));
    return;
  }
  const auto& config = topic.config();
  uint64_t bytes = 0;
  for (const auto& r : records) {
    uint64_t size = (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    for (const auto& h : r.headers) size += h.key.size() + (h.value ? h.value->size() : 0);
    if (size > config.max_message_bytes) {
      done(Error::invalid(
          fmt::format("a record of {} bytes is over topic {}'s max message size of {} bytes", size,
                      topic.name(), config.max_message_bytes)));
      return;
    }
    bytes += size;
  }
  if (config.max_bytes && topic.size_bytes() + bytes > *config.max_bytes) {
    done(Error::overloaded(fmt::format("topic {} is full ({} bytes, max_bytes {})", topic.name(),
                                       topic.size_bytes(), *config.max_bytes)));
    return;
  }
  if (partition < 0) {
    partition = topic.choose_partition(
        records.front().key ? std::optional<std::string_view>(*records.front().key) : std::nullopt);
  }
  if (partition >= topic.partition_count()) {
    done(Error::invalid(fmt::format("topic {} has no partition {}", topic.name(), partition)));
    return;
  }
  std::string batch = journal_->take_buffer();
  if (auto st = encode_batch(batch, 0, records, config.compression); !st) {
    done(st.error());
    return;
  }
  journal_->submit(topic.partition(partition), std::move(batch), std::move(done));
}

void Store::run_maintenance() {
  std::lock_guard pass(maintenance_run_mu_);
  std::vector<Topic*> topics;
  {
    std::lock_guard lock(topics_mu_);
    for (auto& [name, t] : topics_) topics.push_back(t.get());
  }
  const int64_t now = now_ms();
  for (Topic* t : topics) {
    for (int32_t i = 0; i < t->partition_count(); ++i) {
      auto r = t->partition(i).apply_retention(now);
      if (!r) {
        spdlog::warn("topic {} partition {}: retention failed: {}", t->name(), i,
                     r.error().message());
      } else if (r->segments_removed > 0) {
        spdlog::info("topic {} partition {}: retention removed {} segments ({} bytes)", t->name(),
                     i, r->segments_removed, r->bytes_removed);
      }
      if (!t->config().compaction) continue;
      auto& last = last_compaction_ms_[{t->name(), i}];
      const auto every =
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.compaction_interval)
              .count();
      if (last != 0 && now - last < every) continue;
      last = now;
      auto c = compact_partition(t->partition(i), now);
      if (!c) {
        spdlog::warn("topic {} partition {}: compaction failed: {}", t->name(), i,
                     c.error().message());
      } else if (c->records_removed > 0) {
        spdlog::info("topic {} partition {}: compaction removed {} records ({} -> {} bytes)",
                     t->name(), i, c->records_removed, c->bytes_before, c->bytes_after);
      }
    }
  }
}

void Store::maintenance_loop() {
  std::unique_lock lock(maintenance_mu_);
  while (!closing_) {
    maintenance_cv_.wait_for(lock, options_.maintenance_interval, [this] { return closing_; });
    if (closing_) break;
    lock.unlock();
    run_maintenance();
    lock.lock();
  }
}

void Store::attach_metrics(observe::Registry& r) {
  metrics_ = &r;
  JournalMetrics m;
  m.appends = &r.counter("junction_log_appends_total", "Record batches appended to the log");
  m.append_errors = &r.counter("junction_log_append_errors_total", "Appends that failed");
  m.bytes = &r.counter("junction_log_appended_bytes_total", "Bytes of record batches appended");
  m.fsyncs = &r.counter("junction_log_fsyncs_total", "fdatasync calls by the journal");
  m.fsync_seconds = &r.histogram("junction_log_fsync_seconds", "Time one fdatasync took");
  m.group_size = &r.histogram("junction_log_group_commit_appends",
                              "Appends committed together by one journal pass", {},
                              {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
  journal_->set_metrics(m);
  std::lock_guard lock(topics_mu_);
  for (auto& [name, t] : topics_) {
    for (int32_t i = 0; i < t->partition_count(); ++i) {
      Partition* p = &t->partition(i);
      observe::Labels labels{{"topic", name}, {"partition", std::to_string(i)}};
      r.gauge_fn("junction_log_partition_end_offset", "Offset after the last durable record",
                 labels, [p] { return static_cast<double>(p->high_watermark()); });
      r.gauge_fn("junction_log_partition_start_offset", "First offset still stored", labels,
                 [p] { return static_cast<double>(p->start_offset()); });
      r.gauge_fn("junction_log_partition_bytes", "Bytes of the partition's segments", labels,
                 [p] { return static_cast<double>(p->size_bytes()); });
      partition_gauges_.push_back(labels);
    }
  }
}

void Store::close() {
  if (metrics_) {
    for (const auto& labels : partition_gauges_) {
      for (const char* name :
           {"junction_log_partition_end_offset", "junction_log_partition_start_offset",
            "junction_log_partition_bytes"}) {
        metrics_->remove_gauge_fn(name, labels);
      }
    }
    partition_gauges_.clear();
  }
  {
    std::lock_guard lock(maintenance_mu_);
    closing_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  if (journal_) journal_->stop();
}

}  // namespace junction::log
