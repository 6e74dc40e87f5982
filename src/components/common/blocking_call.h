#pragma once

#include <type_traits>

#include "core/executor.h"

namespace junction::components {

// run_blocking for a callable that captures only trivially destructible
// values (pointers, descriptors, offsets) into objects that outlive the
// awaiting coroutine's suspension.
//
// Why: GCC 12 destroys a closure passed by value into a coroutine twice when
// it is a temporary of a co_await expression, and run_blocking's own
// initiation closure hits the same bug; with captures that have destructors
// (std::string, std::filesystem::path, shared_ptr) that is a double free.
// Trivially destructible captures make the second destruction harmless.
template <class Fn>
auto blocking_call(BlockingPool& pool, Fn fn) {
  static_assert(std::is_trivially_destructible_v<Fn>,
                "capture pointers to data that outlives the call, not the data");
  return run_blocking(pool, fn);
}

}  // namespace junction::components
