#include "core/reply_slots.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>

#include "core/reply_slot.h"

namespace junction {
namespace {

using SlotPtr = std::shared_ptr<ReplySlot>;

// What a batch of messages from these requests carries (nullptr: a message
// no request waits for).
ReplySlots merged(std::initializer_list<SlotPtr> parts) {
  ReplySlots out;
  for (const auto& part : parts) out.merge(ReplySlots(part));
  return out;
}

TEST(ReplySlotsTest, EmptyByDefaultOrFromNoSlotAndAnsweringNobodyIsHarmless) {
  ReplySlots none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none);
  EXPECT_TRUE(ReplySlots(nullptr).empty());
  none.answer(Buffer(std::string("nobody waits")), {});
  none.fail(Error::permanent("nobody waits"));
  EXPECT_TRUE(merged({nullptr, nullptr}).empty());
}

TEST(ReplySlotsTest, AMergedMessageAnswersEveryPartsSlot) {
  auto a = std::make_shared<ReplySlot>(), b = std::make_shared<ReplySlot>(),
       c = std::make_shared<ReplySlot>();
  ReplySlots slots = merged({a, nullptr, b, c});
  ASSERT_EQ(slots.slots().size(), 3u);
  Headers headers;
  headers.set("http_status", "201");
  slots.answer(Buffer(std::string("[1,2,3]")), headers);
  for (const auto& slot : {a, b, c}) {
    auto got = slot->contents();
    ASSERT_TRUE(got.payload);
    EXPECT_EQ(got.payload->view(), "[1,2,3]");
    EXPECT_EQ(got.headers.get("http_status"), "201");
    EXPECT_FALSE(got.failure);
  }
}

TEST(ReplySlotsTest, AFailureReachesEveryPartsSlot) {
  auto a = std::make_shared<ReplySlot>(), b = std::make_shared<ReplySlot>();
  merged({a, b}).fail(Error::invalid("one item is bad"));
  for (const auto& slot : {a, b}) {
    auto got = slot->contents();
    ASSERT_TRUE(got.failure);
    EXPECT_EQ(got.failure->cls(), ErrorClass::kInvalid);
    EXPECT_FALSE(got.payload);
  }
}

TEST(ReplySlotsTest, MergedMessagesMergeAgainAndEachSlotKeepsItsFirstReply) {
  auto a = std::make_shared<ReplySlot>(), b = std::make_shared<ReplySlot>(),
       c = std::make_shared<ReplySlot>();
  a->reply(Buffer(std::string("a's own")), {});  // answered before the merge
  ReplySlots outer;                              // a batch of batches
  outer.merge(merged({a, b}));
  outer.merge(ReplySlots(c));
  ASSERT_EQ(outer.slots().size(), 3u);
  outer.answer(Buffer(std::string("outer")), {});
  EXPECT_EQ(a->contents().payload->view(), "a's own");
  EXPECT_EQ(b->contents().payload->view(), "outer");
  EXPECT_EQ(c->contents().payload->view(), "outer");
}

TEST(ReplySlotsTest, PartsOfOneSplitMessageSideBySideKeepTheirSlotOnce) {
  auto split = std::make_shared<ReplySlot>(), other = std::make_shared<ReplySlot>();
  // The last `split` is not beside the others: kept, and answered harmlessly twice.
  ReplySlots slots = merged({split, split, other, split});
  ASSERT_EQ(slots.slots().size(), 3u);
  EXPECT_EQ(slots.slots()[0], split);
  EXPECT_EQ(slots.slots()[1], other);
  slots.answer(Buffer(std::string("once")), {});
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
