#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace junction::log {

// Big-endian integers and Kafka's zig-zag varints, appended to a string.
class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}

  void i8(int8_t v) { out_.push_back(static_cast<char>(v)); }
  void i16(int16_t v) { be(static_cast<uint16_t>(v), 2); }
  void i32(int32_t v) { be(static_cast<uint32_t>(v), 4); }
  void u32(uint32_t v) { be(v, 4); }
  void i64(int64_t v) { be(static_cast<uint64_t>(v), 8); }
  void varint(int32_t v) { uvarint(static_cast<uint32_t>((v << 1) ^ (v >> 31))); }
  void varlong(int64_t v) { uvarint(static_cast<uint64_t>((v << 1) ^ (v >> 63))); }
  void bytes(std::string_view b) { out_.append(b); }
  // A length-prefixed (varint) field; -1 encodes null.
  void nullable(const std::optional<std::string>& b) {
    if (!b) {
      varint(-1);
      return;
    }
    varint(static_cast<int32_t>(b->size()));
    out_.append(*b);
  }

  size_t size() const { return out_.size(); }

  // Overwrites 4 bytes at `pos` (for length and CRC fields known only later).
  void patch_u32(size_t pos, uint32_t v) {
    for (int i = 3; i >= 0; --i) {
      out_[pos + static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
      v >>= 8;
    }
  }

 private:
  // One append per field, not one push_back per byte: encoding a batch
  // writes a few dozen of these per record.
  void be(uint64_t v, int n) {
    char buf[8];
    for (int i = n - 1; i >= 0; --i) {
      buf[i] = static_cast<char>(v & 0xFF);
      v >>= 8;
    }
    out_.append(buf, static_cast<size_t>(n));
  }
  void uvarint(uint64_t v) {
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_.append(buf, n);
  }

  std::string& out_;
};

// Reads what ByteWriter writes. Every read checks bounds; after the first
// failure ok() is false and reads return zero, so a decoder checks once at
// the end of a record rather than after every field.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

  int8_t i8() { return static_cast<int8_t>(be(1)); }
  int16_t i16() { return static_cast<int16_t>(be(2)); }
  int32_t i32() { return static_cast<int32_t>(be(4)); }
  uint32_t u32() { return static_cast<uint32_t>(be(4)); }
  int64_t i64() { return static_cast<int64_t>(be(8)); }
  int32_t varint() {
    const uint64_t u = uvarint(5);
    const auto z = static_cast<uint32_t>(u);
    return static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  int64_t varlong() {
    const uint64_t z = uvarint(10);
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::string_view bytes(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return {};
    }
    auto v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::optional<std::string> nullable() {
    const int32_t n = varint();
    if (n < 0) {
      if (n != -1) ok_ = false;
      return std::nullopt;
    }
    return std::string(bytes(static_cast<size_t>(n)));
  }

 private:
  uint64_t be(int n) {
    if (!ok_ || remaining() < static_cast<size_t>(n)) {
      ok_ = false;
      return 0;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(in_.data() + pos_);
    pos_ += static_cast<size_t>(n);
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
  }
  uint64_t uvarint(int max_bytes) {
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (!ok_ || remaining() == 0) break;
      const auto b = static_cast<unsigned char>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace junction::log
