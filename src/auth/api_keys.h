#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace junction::auth {

// API keys, held as SHA-256 digests only: a heap dump or a core file does not
// give the keys away, and a lookup compares digests in constant time.
class ApiKeyStore {
 public:
  // One key per line: "name:key" (the first ':' separates), or just "key".
  // Blank lines and lines starting with '#' are skipped; surrounding spaces
  // are trimmed. A bare key is named "sha256:" and the first 8 hex digits of
  // its digest, so logs can tell keys apart without showing them. A key that
  // appears twice is Error::invalid naming both lines. The store does not
  // keep `text` or any view into it.
  static Result<ApiKeyStore> parse(std::string_view text);

  // The consumer name of the presented key. Every entry is compared, match or
  // not, so the time taken does not tell which entry matched.
  std::optional<std::string> lookup(std::string_view presented) const;

  size_t size() const { return entries_.size(); }
  // Consumer names in file order, one per key, for startup logs and metrics.
  std::vector<std::string> consumers() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    Digest digest;
    std::string consumer;
  };

  static Digest sha256(std::string_view bytes);

  std::vector<Entry> entries_;
};

}  // namespace junction::auth
