#include "log/buffer_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace junction::log {
namespace {

std::vector<std::string> buffers_of(std::vector<size_t> capacities) {
  std::vector<std::string> out;
  for (size_t c : capacities) {
    std::string b(c, 'x');  // at least `c` of capacity, and content the pool must clear
    out.push_back(std::move(b));
  }
  return out;
}

TEST(BufferPool, HandsBackAGivenBufferEmptyWithItsCapacity) {
  BufferPool pool(1 << 20, 64 << 10);
  auto given = buffers_of({4096});
  const size_t capacity = given[0].capacity();
  const char* storage = given[0].data();
  pool.give_back(given);
  EXPECT_TRUE(given.empty());
  EXPECT_EQ(pool.pooled_bytes(), capacity);

  std::string b = pool.take();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), capacity);
  EXPECT_EQ(b.data(), storage);  // the same allocation, not a copy
  EXPECT_EQ(pool.pooled_bytes(), 0u);
  EXPECT_EQ(pool.take().capacity(), std::string().capacity());  // empty pool: a new string
}

TEST(BufferPool, KeepsNoMoreThanItsBound) {
  BufferPool pool(10000, 64 << 10);
  auto given = buffers_of({4000, 4000, 4000, 4000});
  pool.give_back(given);
  EXPECT_LE(pool.pooled_bytes(), 10000u);
  EXPECT_GE(pool.pooled_bytes(), 8000u);  // two fit, the rest were freed
  EXPECT_TRUE(given.empty());
}

TEST(BufferPool, FreesBuffersTooLargeOrTooSmallToKeep) {
  BufferPool pool(1 << 20, 64 << 10);
  auto given = buffers_of({(64 << 10) + 1, 3});
  pool.give_back(given);
  EXPECT_EQ(pool.pooled_bytes(), 0u);
}

}  // namespace
}  // namespace junction::log
