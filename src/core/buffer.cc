#include "core/buffer.h"

#include <algorithm>

namespace junction {

Buffer Buffer::slice(size_t offset, size_t length) const {
  Buffer out;
  out.data_ = data_;
  out.offset_ = offset_ + std::min(offset, size_);
  out.size_ = std::min(length, size_ - std::min(offset, size_));
  return out;
}

}  // namespace junction
