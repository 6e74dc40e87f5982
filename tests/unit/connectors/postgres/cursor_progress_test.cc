#include "connectors/postgres/cursor_progress.h"

#include <gtest/gtest.h>

namespace junction::connectors::postgres {
namespace {

using Clock = CursorProgress::Clock;

TEST(CursorProgress, CheckpointMovesOnlyPastTheLowestUnsettledRow) {
  CursorProgress p("0");
  auto a = p.emitted("1", Buffer::copy_of("a"));
  auto b = p.emitted("2", Buffer::copy_of("b"));
  auto c = p.emitted("3", Buffer::copy_of("c"));
  p.settled_ok(b);
  p.settled_ok(c);
  EXPECT_EQ(p.checkpoint(), "0");  // row 1 is still out
  p.settled_ok(a);
  EXPECT_EQ(p.checkpoint(), "3");
  EXPECT_EQ(p.in_flight(), 0u);
}

TEST(CursorProgress, AFailedRowHoldsTheCheckpointAndComesBack) {
  CursorProgress p("0");
  auto a = p.emitted("1", Buffer::copy_of("a"));
  auto b = p.emitted("2", Buffer::copy_of("b"));
  auto c = p.emitted("3", Buffer::copy_of("c"));
  p.settled_ok(a);
  auto now = Clock::now();
  p.settled_failed(b, now);
  p.settled_ok(c);
  EXPECT_EQ(p.checkpoint(), "1");
  ASSERT_TRUE(p.next_due().has_value());
  EXPECT_TRUE(p.take_due(now, 10).empty());  // not before its backoff
  auto due = p.take_due(now + std::chrono::seconds(10), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].offset, b);
  EXPECT_EQ(due[0].payload.view(), "b");
  EXPECT_EQ(due[0].attempt, 2);
  p.settled_ok(b);
  EXPECT_EQ(p.checkpoint(), "3");
}

TEST(CursorProgress, RowsSharingACursorValueMoveTogether) {
  CursorProgress p("0");
  auto a = p.emitted("5", Buffer::copy_of("a"));
  auto b = p.emitted("7", Buffer::copy_of("b"));
  auto c = p.emitted("7", Buffer::copy_of("c"));
  p.settled_ok(a);
  p.settled_ok(b);
  // `> 7` after a restart would skip c: the checkpoint stays at 5.
  EXPECT_EQ(p.checkpoint(), "5");
  p.settled_ok(c);
  EXPECT_EQ(p.checkpoint(), "7");
}

}  // namespace
}  // namespace junction::connectors::postgres
