#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <span>

#include "core/error.h"

namespace junction::http {

// A message body read piece by piece, so that relaying one between two
// connections needs one fixed buffer however large the body is.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills the front of `into` with the next bytes of the body and says how
  // many; 0 once the body is complete (and from then on).
  virtual boost::asio::awaitable<Result<size_t>> read_some(std::span<char> into) = 0;
};

// The piece size of a relay: large enough that syscalls do not dominate,
// small enough that thousands of concurrent relays fit in memory.
inline constexpr size_t kRelayChunk = 64 * 1024;

}  // namespace junction::http
