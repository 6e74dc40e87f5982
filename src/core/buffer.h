#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace junction {

// An immutable, ref-counted byte buffer. Copies and slices share the bytes,
// so a payload fanned out to several outputs is never copied.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::string bytes)
      : data_(std::make_shared<const std::string>(std::move(bytes))), size_(data_->size()) {}

  static Buffer copy_of(std::string_view bytes) { return Buffer(std::string(bytes)); }

  std::string_view view() const {
    return data_ ? std::string_view(data_->data() + offset_, size_) : std::string_view();
  }
  const char* data() const { return view().data(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string str() const { return std::string(view()); }

  // A view of [offset, offset + length) sharing the same bytes; clamped to the buffer.
  Buffer slice(size_t offset, size_t length) const;

 private:
  std::shared_ptr<const std::string> data_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

}  // namespace junction
