#include "components/common/record_splitter.h"

#include <cstring>

namespace junction::components {

size_t RecordSplitter::find_end(const char* data, size_t from, size_t size) {
  if (!csv_) {
    const void* nl = std::memchr(data + from, '\n', size - from);
    return nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : std::string::npos;
  }
  // A doubled quote inside a quoted field toggles twice, which is what makes
  // this simple scan right for escaped quotes too.
  for (size_t i = from; i < size; ++i) {
    char c = data[i];
    if (c == '"') {
      in_quotes_ = !in_quotes_;
    } else if (c == '\n' && !in_quotes_) {
      return i;
    }
  }
  return std::string::npos;
}

void RecordSplitter::emit(Buffer bytes, uint64_t end, std::vector<Record>& out) {
  if (!bytes.empty() && bytes.view().back() == '\r') bytes = bytes.slice(0, bytes.size() - 1);
  out.push_back({std::move(bytes), next_start_, end});
}

void RecordSplitter::feed(const Buffer& chunk, std::vector<Record>& out,
                          std::vector<uint64_t>& oversized) {
  const char* data = chunk.data();
  const size_t size = chunk.size();
  const uint64_t base = position_;
  position_ += size;
  size_t i = 0;
  while (i < size) {
    size_t nl = find_end(data, i, size);
    if (nl == std::string::npos) {
      if (!skipping_) {
        carry_.append(data + i, size - i);
        // One byte of slack: it may be the "\r" of a "\r\n" in the next chunk.
        if (carry_.size() > max_ + 1) {
          skipping_ = true;
          oversized.push_back(next_start_);
          std::string().swap(carry_);
        }
      }
      return;
    }
    const uint64_t end = base + nl + 1;
    const size_t length = carry_.size() + (nl - i);
    // A trailing "\r" is not part of the record, so it does not count.
    const bool cr = nl > i ? data[nl - 1] == '\r' : (!carry_.empty() && carry_.back() == '\r');
    if (skipping_) {
      skipping_ = false;
    } else if (length - (cr ? 1 : 0) > max_) {
      oversized.push_back(next_start_);
    } else if (carry_.empty()) {
      emit(chunk.slice(i, nl - i), end, out);
    } else {
      carry_.append(data + i, nl - i);
      emit(Buffer(std::move(carry_)), end, out);
    }
    carry_.clear();
    in_quotes_ = false;
    next_start_ = end;
    i = nl + 1;
  }
}

std::optional<Record> RecordSplitter::finish(std::vector<uint64_t>& oversized) {
  std::optional<Record> tail;
  if (!skipping_ && !carry_.empty()) {
    std::vector<Record> out;
    emit(Buffer(std::move(carry_)), position_, out);
    if (out.front().bytes.size() > max_) {
      oversized.push_back(next_start_);
    } else {
      tail = std::move(out.front());
    }
  }
  skipping_ = false;
  carry_.clear();
  in_quotes_ = false;
  next_start_ = position_;
  return tail;
}

}  // namespace junction::components
