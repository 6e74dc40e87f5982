#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

namespace junction::resilience {

// Caps the calls in flight to one dependency, so that a slow upstream ties
// up at most `max_concurrent` requests instead of every connection. A full
// bulkhead refuses at once (the gateway answers 503) rather than queueing.
//
// Thread-safety: lock-free; try_enter and permit release may run on any
// thread. The bulkhead must outlive its permits.
class Bulkhead {
 public:
  // Holds one slot; gives it back when destroyed or released.
  class Permit {
   public:
    Permit(Permit&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }

    // Gives the slot back early; later calls do nothing.
    void release();

   private:
    friend class Bulkhead;
    explicit Permit(Bulkhead* owner) : owner_(owner) {}
    Bulkhead* owner_;
  };

  explicit Bulkhead(uint32_t max_concurrent) : max_(max_concurrent) {}
  Bulkhead(const Bulkhead&) = delete;
  Bulkhead& operator=(const Bulkhead&) = delete;

  // A permit, or nullopt when max_concurrent calls are already in flight.
  [[nodiscard]] std::optional<Permit> try_enter();

  uint32_t max_concurrent() const { return max_; }
  uint32_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  void leave() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  const uint32_t max_;
  std::atomic<uint32_t> in_flight_{0};
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace junction::resilience
