// junction_log_bench: P publishers (threads, one by default) append N records
// of BYTES each to the embedded log between them, one record per produce call,
// each with up to W appends awaiting their callback, so that the journal's
// group commit does the batching (the shape of JetStream publishers with
// async acks). Prints one JSON line for
// the produce phase (throughput, publish->ack latency), then reopens the
// store and, from a cold page cache when it can be dropped, reads every
// record back.
//
// Usage: junction_log_bench --dir D --size BYTES --count N --window W
//          --fsync always|interval:100ms|never [--partitions P] [--producers P]
//          [--no-consume]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ack_window.h"
#include "core/message.h"
#include "log/record_batch.h"
#include "log/store.h"

namespace {

using junction::Result;
using junction::log::FsyncPolicy;
using junction::log::Record;
using junction::log::Store;
using junction::log::StoreOptions;
using junction::log::TopicConfig;
using Clock = std::chrono::steady_clock;

constexpr const char* kTopic = "bench";

struct Options {
  std::filesystem::path dir;
  size_t size = 1024;
  size_t count = 100000;
  uint32_t window = 1024;
  std::string fsync = "always";
  int32_t partitions = 1;
  uint32_t producers = 1;
  bool consume = true;
};

bool parse_number(std::string_view text, auto& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--no-consume") {
      o.consume = false;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    bool ok = true;
    if (arg == "--dir") {
      o.dir = value;
    } else if (arg == "--size") {
      ok = parse_number(value, o.size);
    } else if (arg == "--count") {
      ok = parse_number(value, o.count);
    } else if (arg == "--window") {
      ok = parse_number(value, o.window) && o.window > 0;
    } else if (arg == "--fsync") {
      o.fsync = value;
    } else if (arg == "--partitions") {
      ok = parse_number(value, o.partitions) && o.partitions > 0;
    } else if (arg == "--producers") {
      ok = parse_number(value, o.producers) && o.producers > 0;
    } else {
      ok = false;
    }
    if (!ok) return false;
  }
  return !o.dir.empty() && o.count > 0;
}

// "interval:100ms" on the command line is the topic config's "interval 100ms".
Result<FsyncPolicy> parse_fsync(std::string text) {
  std::replace(text.begin(), text.end(), ':', ' ');
  return FsyncPolicy::parse(text);
}

// Makes the consume phase read from disk. Needs root; a failure only means
// the read is served from the page cache, which the JSON line then says.
bool drop_page_cache() {
  ::sync();
  const int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, "3\n", 2) == 2;
  ::close(fd);
  return ok;
}

double percentile_us(std::vector<int64_t>& ns, double q) {
  if (ns.empty()) return 0;
  const auto k = static_cast<size_t>(q * static_cast<double>(ns.size() - 1));
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
  return static_cast<double>(ns[k]) / 1000.0;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

Result<std::unique_ptr<Store>> open_store(const Options& o, const FsyncPolicy& fsync) {
  StoreOptions so;
  so.dir = o.dir;
  so.default_fsync = fsync;
  return Store::open(so);
}

int produce(const Options& o, const FsyncPolicy& fsync) {
  auto store = open_store(o, fsync);
  if (!store) {
    std::fprintf(stderr, "log_bench: %s\n", store.error().message().c_str());
    return 1;
  }
  TopicConfig config;
  config.partitions = o.partitions;
  config.fsync = fsync;
  auto topic = (*store)->open_topic(kTopic, config);
  if (!topic) {
    std::fprintf(stderr, "log_bench: %s\n", topic.error().message().c_str());
    return 1;
  }

  // Each publisher's window (see AckWindow). The callback runs on a journal
  // thread and captures two words, so std::function stores it without
  // allocating: the bench adds little of its own to what it measures.
  // Publisher k sends messages k, k+P, k+2P...
  std::atomic<uint64_t> failed{0};
  std::vector<Clock::time_point> sent_at(o.count);
  std::vector<int64_t> latency_ns(o.count);
  struct alignas(64) Tally {  // apart from the other publishers' cache lines
    explicit Tally(uint64_t window) : window(window) {}
    junction::bench::AckWindow window;
    Clock::time_point* sent_at = nullptr;
    int64_t* latency_ns = nullptr;
    std::atomic<uint64_t>* failed = nullptr;
  };
  std::vector<std::unique_ptr<Tally>> tallies;
  for (uint32_t k = 0; k < o.producers; ++k) {
    auto& t = *tallies.emplace_back(std::make_unique<Tally>(o.window));
    t.sent_at = sent_at.data();
    t.latency_ns = latency_ns.data();
    t.failed = &failed;
  }

  auto publish = [&](uint32_t k) {
    // produce() encodes the record before it returns, so one Record serves
    // every append of this publisher.
    Record record;
    record.value = std::string(o.size, 'x');
    Tally& tally = *tallies[k];
    uint64_t sent = 0;
    for (uint64_t i = k; i < o.count; i += o.producers, ++sent) {
      tally.window.wait_for_room(sent);
      record.timestamp_ms = junction::now_ms();
      sent_at[i] = Clock::now();
      (*store)->produce(
          **topic, static_cast<int32_t>(i % static_cast<uint64_t>(o.partitions)),
          std::span<const Record>(&record, 1),
          [t = &tally, i](Result<junction::log::AppendResult> r) {
            t->latency_ns[i] =
                std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t->sent_at[i])
                    .count();
            if (!r && t->failed->fetch_add(1) == 0) {
              std::fprintf(stderr, "log_bench: append failed: %s\n", r.error().message().c_str());
            }
            t->window.ack();
          });
    }
    tally.window.wait_for_all(sent);
  };

  const auto start = Clock::now();
  std::vector<std::thread> publishers;
  for (uint32_t k = 1; k < o.producers; ++k) publishers.emplace_back(publish, k);
  publish(0);
  for (auto& t : publishers) t.join();
  const double seconds = seconds_between(start, Clock::now());

  uint64_t log_bytes = 0;
  for (int32_t p = 0; p < o.partitions; ++p) log_bytes += (*topic)->partition(p).size_bytes();
  (*store)->close();

  const double msgs = static_cast<double>(o.count);
  std::printf(
      "{\"system\":\"junction\",\"size\":%zu,\"fsync\":\"%s\",\"window\":%u,\"producers\":%u,"
      "\"partitions\":%d,"
      "\"msgs\":%zu,\"failed\":%llu,\"seconds\":%.3f,\"msg_per_s\":%.0f,\"mb_per_s\":%.1f,"
      "\"log_mb_per_s\":%.1f,\"p50_us\":%.0f,\"p99_us\":%.0f}\n",
      o.size, o.fsync.c_str(), o.window, o.producers, o.partitions, o.count,
      static_cast<unsigned long long>(failed.load()), seconds, msgs / seconds,
      msgs * static_cast<double>(o.size) / seconds / 1e6,
      static_cast<double>(log_bytes) / seconds / 1e6, percentile_us(latency_ns, 0.50),
      percentile_us(latency_ns, 0.99));
  std::fflush(stdout);
  return failed.load() == 0 ? 0 : 1;
}

int consume(const Options& o, const FsyncPolicy& fsync) {
  // Opening verifies the tail segment by reading it through, so the cache is
  // dropped after the open, and the open is timed on its own.
  const auto open_start = Clock::now();
  auto store = open_store(o, fsync);
  if (!store) {
    std::fprintf(stderr, "log_bench: %s\n", store.error().message().c_str());
    return 1;
  }
  auto* topic = (*store)->find_topic(kTopic);
  if (!topic) {
    std::fprintf(stderr, "log_bench: topic %s is missing\n", kTopic);
    return 1;
  }
  const double open_seconds = seconds_between(open_start, Clock::now());
  const bool cold = drop_page_cache();
  if (!cold) std::fprintf(stderr, "log_bench: cannot drop the page cache; reading warm\n");
  const auto start = Clock::now();
  uint64_t records = 0;
  uint64_t value_bytes = 0;
  for (int32_t id = 0; id < topic->partition_count(); ++id) {
    const auto& partition = topic->partition(id);
    int64_t offset = partition.start_offset();
    while (offset < partition.high_watermark()) {
      auto bytes = partition.read(offset, 1u << 20);
      if (!bytes || bytes->empty()) {
        std::fprintf(stderr, "log_bench: read at %lld failed\n", static_cast<long long>(offset));
        return 1;
      }
      std::string_view rest = *bytes;
      while (!rest.empty()) {
        auto header = junction::log::parse_batch_header(rest);
        if (!header) return 1;
        auto batch = junction::log::decode_batch(rest.substr(0, header->total_size()));
        if (!batch) {
          std::fprintf(stderr, "log_bench: %s\n", batch.error().message().c_str());
          return 1;
        }
        for (const auto& r : *batch) {
          if (r.offset < offset) continue;
          ++records;
          value_bytes += r.value ? r.value->size() : 0;
        }
        offset = header->next_offset();
        rest.remove_prefix(header->total_size());
      }
    }
  }
  const double seconds = seconds_between(start, Clock::now());
  std::printf(
      "{\"system\":\"junction\",\"phase\":\"consume\",\"size\":%zu,\"msgs\":%llu,"
      "\"cold_cache\":%s,\"open_seconds\":%.3f,\"seconds\":%.3f,\"msg_per_s\":%.0f,"
      "\"mb_per_s\":%.1f}\n",
      o.size, static_cast<unsigned long long>(records), cold ? "true" : "false", open_seconds,
      seconds, static_cast<double>(records) / seconds,
      static_cast<double>(value_bytes) / seconds / 1e6);
  if (records != o.count) {
    std::fprintf(stderr, "log_bench: read %llu records, produced %zu\n",
                 static_cast<unsigned long long>(records), o.count);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: junction_log_bench --dir D --size BYTES --count N --window W "
                 "--fsync always|interval:100ms|never [--partitions P] [--producers P] "
                 "[--no-consume]\n");
    return 2;
  }
  auto fsync = parse_fsync(o.fsync);
  if (!fsync) {
    std::fprintf(stderr, "log_bench: %s\n", fsync.error().message().c_str());
    return 2;
  }
  std::error_code ec;
  if (std::filesystem::exists(o.dir / "topics" / kTopic, ec)) {
    std::fprintf(stderr, "log_bench: %s already holds a bench topic; give an empty dir\n",
                 o.dir.c_str());
    return 2;
  }
  if (int rc = produce(o, *fsync); rc != 0) return rc;
  return o.consume ? consume(o, *fsync) : 0;
}
