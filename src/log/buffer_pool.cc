#include "log/buffer_pool.h"

#include <utility>

namespace junction::log {

std::string BufferPool::take() {
  std::lock_guard lock(mu_);
  if (free_.empty()) return {};
  std::string buffer = std::move(free_.back());
  free_.pop_back();
  pooled_bytes_ -= buffer.capacity();
  return buffer;
}

void BufferPool::give_back(std::vector<std::string>& buffers) {
  {
    std::lock_guard lock(mu_);
    for (auto& b : buffers) {
      const size_t capacity = b.capacity();
      // (A short string's capacity is its inline buffer: nothing worth keeping.)
      if (capacity <= std::string().capacity() || capacity > max_buffer_bytes_ ||
          pooled_bytes_ + capacity > max_bytes_) {
        continue;
      }
      b.clear();
      pooled_bytes_ += capacity;
      free_.push_back(std::move(b));
    }
  }
  // What did not fit is freed here, outside the lock.
  buffers.clear();
}

size_t BufferPool::pooled_bytes() const {
  std::lock_guard lock(mu_);
  return pooled_bytes_;
}

}  // namespace junction::log
