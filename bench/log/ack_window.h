#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>

namespace junction::bench {

// One publisher's window of messages awaiting their ack, shared by both log
// benchmarks so that the two sides wait the same way. At most `window` are in
// flight; once the window is full the publisher sleeps until a sixteenth of
// it is acked, and only the ack that frees that much wakes it.
//
// nats.go wakes a stalled PublishAsync as soon as one slot is free, so the
// window stays nearly full. Waking on every ack, as the first version of
// these benchmarks did, made a full publisher send one message per wake-up:
// a futex wake and a context switch per message on the acking thread, which
// a client taking its acks in bulk never pays. Waiting for half the window
// (the second version) avoided that but left the pipe half empty each time
// the window filled: with a disk that acks in groups, Junction's 1 KiB
// `fsync: always` row lost about a quarter of its throughput (JetStream,
// bound by its CPU on this machine, did not change).
class AckWindow {
 public:
  explicit AckWindow(uint64_t window)
      : window_(window), resume_(std::max<uint64_t>(1, window / 16)) {}

  // Publisher: returns once the message after the `sent` already sent fits.
  void wait_for_room(uint64_t sent) {
    if (sent - acked_.load(std::memory_order_acquire) < window_) return;
    wait_until(sent - window_ + resume_);
  }
  // Publisher: returns once all `sent` messages are acked.
  void wait_for_all(uint64_t sent) { wait_until(sent); }

  // The acking thread, once per message.
  void ack() {
    // seq_cst here and in wait_until: either the publisher sees this ack
    // before it sleeps, or this sees the publisher's target and wakes it.
    const uint64_t acked = acked_.fetch_add(1) + 1;
    if (acked == wake_at_.load()) {
      std::lock_guard lock(mu_);
      cv_.notify_one();
    }
  }

 private:
  static constexpr uint64_t kNobody = std::numeric_limits<uint64_t>::max();

  void wait_until(uint64_t target) {
    std::unique_lock lock(mu_);
    wake_at_.store(target);
    while (acked_.load() < target) cv_.wait(lock);
    wake_at_.store(kNobody);
  }

  const uint64_t window_;
  const uint64_t resume_;
  std::atomic<uint64_t> acked_{0};
  std::atomic<uint64_t> wake_at_{kNobody};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace junction::bench
