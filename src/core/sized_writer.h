#pragma once

// Writing a text into a string in pieces with one capacity check for all of
// them: the string grows by the most the pieces can take, they are written
// through a pointer, and the string is trimmed to what was written.
// Appended piece by piece, each piece checked the capacity; for the small
// texts made on every request (access lines, header lines) that was most of
// their cost (callgrind, bench/gateway).

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace junction {

class SizedWriter {
 public:
  // The most number() writes.
  static constexpr size_t kMostNumber = 20;

  // Makes room for `most` bytes at the end of `out`, which must not be
  // touched otherwise until the writer is gone; it trims what was not used.
  SizedWriter(std::string& out, size_t most) : out_(out) {
    const size_t start = out.size();
    out.resize(start + most);
    p_ = out.data() + start;
  }
  ~SizedWriter() { out_.resize(static_cast<size_t>(p_ - out_.data())); }
  SizedWriter(const SizedWriter&) = delete;
  SizedWriter& operator=(const SizedWriter&) = delete;

  SizedWriter& text(std::string_view s) {
    if (s.empty()) return *this;  // an empty view may have no data() for memcpy
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
    return *this;
  }
  SizedWriter& put(char c) {
    *p_++ = c;
    return *this;
  }
  SizedWriter& number(uint64_t value) {
    p_ = std::to_chars(p_, p_ + kMostNumber, value).ptr;
    return *this;
  }

 private:
  std::string& out_;
  char* p_;
};

}  // namespace junction
