#include "core/reply_slots.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/reply_slot.h"

namespace junction {
namespace {

Headers meta(std::string_view name, std::string_view value) {
  Headers h;
  h.add(name, value);
  return h;
}

TEST(ReplySlotsTest, EmptyByDefaultOrFromNoSlotAndAnsweringNobodyIsHarmless) {
  ReplySlots none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none);
  EXPECT_TRUE(ReplySlots(nullptr).empty());
  none.answer(Buffer(std::string("nobody waits")), {});
  none.fail(Error::permanent("nobody waits"));
  ReplySlots merged;
  merged.merge(none);
  EXPECT_TRUE(merged.empty());
}

TEST(ReplySlotsTest, AMergedMessageAnswersEveryPartsSlot) {
  auto a = std::make_shared<ReplySlot>();
  auto b = std::make_shared<ReplySlot>();
  auto c = std::make_shared<ReplySlot>();
  ReplySlots merged;
  merged.merge(ReplySlots(a));
  merged.merge(ReplySlots());  // a part no request waits for
  merged.merge(ReplySlots(b));
  merged.merge(ReplySlots(c));
  ASSERT_EQ(merged.slots().size(), 3u);

  merged.answer(Buffer(std::string("[1,2,3]")), meta("http_status", "201"));
  for (const auto& slot : {a, b, c}) {
    auto got = slot->contents();
    ASSERT_TRUE(got.payload);
    EXPECT_EQ(got.payload->view(), "[1,2,3]");
    EXPECT_EQ(got.headers.get("http_status"), "201");
    EXPECT_FALSE(got.failure);
  }
}

TEST(ReplySlotsTest, AFailureReachesEveryPartsSlot) {
  auto a = std::make_shared<ReplySlot>();
  auto b = std::make_shared<ReplySlot>();
  ReplySlots merged;
  merged.merge(ReplySlots(a));
  merged.merge(ReplySlots(b));
  merged.fail(Error::invalid("one item is bad"));
  for (const auto& slot : {a, b}) {
    auto got = slot->contents();
    ASSERT_TRUE(got.failure);
    EXPECT_EQ(got.failure->cls(), ErrorClass::kInvalid);
    EXPECT_FALSE(got.payload);
  }
}

TEST(ReplySlotsTest, MergedMessagesMergeAgainAndEachSlotKeepsItsFirstReply) {
  auto a = std::make_shared<ReplySlot>();
  auto b = std::make_shared<ReplySlot>();
  auto c = std::make_shared<ReplySlot>();
  a->reply(Buffer(std::string("a's own")), {});  // answered before the merge
  ReplySlots first;
  first.merge(ReplySlots(a));
  first.merge(ReplySlots(b));
  ReplySlots outer;  // a batch of batches
  outer.merge(first);
  outer.merge(ReplySlots(c));
  ASSERT_EQ(outer.slots().size(), 3u);
  outer.answer(Buffer(std::string("outer")), {});
  EXPECT_EQ(a->contents().payload->view(), "a's own");
  EXPECT_EQ(b->contents().payload->view(), "outer");
  EXPECT_EQ(c->contents().payload->view(), "outer");
}

TEST(ReplySlotsTest, PartsOfOneSplitMessageSideBySideKeepTheirSlotOnce) {
  auto split = std::make_shared<ReplySlot>();
  auto other = std::make_shared<ReplySlot>();
  ReplySlots merged;
  merged.merge(ReplySlots(split));
  merged.merge(ReplySlots(split));
  merged.merge(ReplySlots(other));
  merged.merge(ReplySlots(split));  // not adjacent: kept, and answered harmlessly twice
  ASSERT_EQ(merged.slots().size(), 3u);
  EXPECT_EQ(merged.slots()[0], split);
  EXPECT_EQ(merged.slots()[1], other);
  merged.answer(Buffer(std::string("once")), {});
  EXPECT_EQ(split->contents().payload->view(), "once");
}

TEST(ReplySlotsTest, ASlotOutlivesTheSenderThatGaveUpOnIt) {
  ReplySlots carried;
  {
    auto sender = std::make_shared<ReplySlot>();  // a request that timed out
    carried = ReplySlots(sender);
  }
  // The flow answers later; nobody reads it, and nothing dangles.
  carried.answer(Buffer(std::string("late")), {});
  carried.fail(Error::transient("late"));
  EXPECT_EQ(carried.slots()[0]->contents().payload->view(), "late");
}

}  // namespace
}  // namespace junction
