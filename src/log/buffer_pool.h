#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace junction::log {

// Batch buffers handed back by the journal once written, for producers to
// encode the next batches into. Without it every append mallocs a buffer on
// the producer's thread and frees it on the journal's: glibc serves buffers
// over 1 KiB from the arena under its lock, and freeing a commit group at once
// trims the heap, which the next group faults back in page by page.
//
// Bounded: it keeps at most `max_bytes` of capacity, and no buffer larger
// than `max_buffer_bytes` (a rare big batch is freed rather than kept).
class BufferPool {
 public:
  BufferPool(size_t max_bytes, size_t max_buffer_bytes)
      : max_bytes_(max_bytes), max_buffer_bytes_(max_buffer_bytes) {}

  // An empty buffer, with a pooled one's capacity when there is one.
  std::string take();
  // Keeps what fits of `buffers` (one lock for a whole commit group); empties `buffers`.
  void give_back(std::vector<std::string>& buffers);

  size_t pooled_bytes() const;

 private:
  const size_t max_bytes_;
  const size_t max_buffer_bytes_;
  mutable std::mutex mu_;
  std::vector<std::string> free_;
  size_t pooled_bytes_ = 0;
};

}  // namespace junction::log
