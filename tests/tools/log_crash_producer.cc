// Appends to the embedded log until killed, printing every acknowledged
// record, for tests/e2e/test_log_crash.py: after any number of SIGKILLs,
// every record printed here must be in the log, intact and in order.
//
// Usage: junction_log_crash_producer DIR RUN_ID
// Output: one line per acknowledged record, "ack <value>", flushed at once.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/message.h"
#include "log/store.h"

using namespace junction;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR RUN_ID\n", argv[0]);
    return 64;
  }
  log::StoreOptions so;
  so.dir = argv[1];
  auto store = log::Store::open(so);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().message().c_str());
    return 1;
  }
  log::TopicConfig config;
  config.partitions = 2;
  config.segment_bytes = 64 * 1024;  // many rolls, so kills land around them too
  auto topic = (*store)->open_topic("crash", config);
  if (!topic) {
    std::fprintf(stderr, "topic: %s\n", topic.error().message().c_str());
    return 1;
  }
  const std::string run = argv[2];
  std::mutex out_mu;
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      // A window of appends in flight per producer, so group commit has company.
      std::mutex mu;
      std::condition_variable cv;
      int outstanding = 0;
      for (int64_t seq = 0;; ++seq) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return outstanding < 8; });
          ++outstanding;
        }
        log::Record r;
        r.timestamp_ms = now_ms();
        r.key = "t" + std::to_string(t);
        r.value = "r" + run + ":t" + std::to_string(t) + ":" + std::to_string(seq) + ":" +
                  std::string(static_cast<size_t>(seq % 300), 'x');
        const std::string value = *r.value;
        (*store)->produce(**topic, t % 2, std::span(&r, 1),
                          [&, value](Result<log::AppendResult> res) {
                            if (res) {
                              std::lock_guard lock(out_mu);
                              std::fprintf(stdout, "ack %s\n", value.c_str());
                              std::fflush(stdout);
                            }
                            std::lock_guard lock(mu);
                            --outstanding;
                            cv.notify_one();
                          });
      }
    });
  }
  for (auto& p : producers) p.join();
  return 0;
}
