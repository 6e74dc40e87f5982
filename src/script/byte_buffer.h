#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace junction::script {

// A growable output buffer for the JSON encoder: appends are a bounds check
// and a store, with none of std::string's zero-filling or out-of-line calls.
// Reused across invocations, so steady state does not allocate.
class ByteBuffer {
 public:
  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  std::string_view view() const { return {data_.get(), size_}; }

  // Reserves n bytes at the end and returns where they start.
  char* extend(size_t n) {
    if (cap_ - size_ < n) grow(n);
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }
  // Gives back the last n bytes of an extend() that were not used.
  void unextend(size_t n) { size_ -= n; }
  void push(char c) { *extend(1) = c; }
  void append(const char* s, size_t n) {
    // An empty string into a buffer that never grew: memcpy's pointers may
    // not be null even for 0 bytes.
    if (n != 0) std::memcpy(extend(n), s, n);
  }
  void append(std::string_view s) { append(s.data(), s.size()); }

  // Frees the memory when a large result left it big.
  void trim(size_t keep) {
    if (cap_ > keep) *this = ByteBuffer();
  }

 private:
  void grow(size_t n) {
    size_t cap = cap_ < 256 ? 256 : cap_ * 2;
    while (cap - size_ < n) cap *= 2;
    auto data = std::make_unique_for_overwrite<char[]>(cap);
    if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    cap_ = cap;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace junction::script
