#include "core/reply_slot.h"

#include <gtest/gtest.h>

#include "core/message.h"

namespace junction {
namespace {

Headers meta(std::string_view name, std::string_view value) {
  Headers h;
  h.add(name, value);
  return h;
}

TEST(ReplySlotTest, EmptyUntilTheFlowAnswers) {
  ReplySlot slot;
  auto c = slot.contents();
  EXPECT_FALSE(c.payload);
  EXPECT_FALSE(c.failure);
  EXPECT_TRUE(c.headers.empty());
}

TEST(ReplySlotTest, TheFirstReplyWins) {
  ReplySlot slot;
  slot.reply(Buffer(std::string("first")), meta("http_status", "201"));
  slot.reply(Buffer(std::string("second")), meta("http_status", "200"));
  auto c = slot.contents();
  ASSERT_TRUE(c.payload);
  EXPECT_EQ(c.payload->view(), "first");
  EXPECT_EQ(c.headers.get("http_status"), "201");
}

TEST(ReplySlotTest, AFailureIsKeptBesideAReplyAndTheFirstFailureWins) {
  ReplySlot slot;
  slot.reply(Buffer(std::string("ok")), {});
  slot.fail(Error::invalid("bad quantity"));
  slot.fail(Error::permanent("later"));
  auto c = slot.contents();
  ASSERT_TRUE(c.failure);
  EXPECT_EQ(c.failure->cls(), ErrorClass::kInvalid);
  EXPECT_TRUE(c.payload);  // the reader decides: a failure outranks it
}

TEST(ReplySlotTest, CopiesOfAMessageShareItsSlotAndMessagesWithoutOneCarryNothing) {
  Message m;
  EXPECT_TRUE(m.reply.empty());
  EXPECT_TRUE(m.copy().reply.empty());
  auto slot = std::make_shared<ReplySlot>();
  m.reply = ReplySlots(slot);
  Message c = m.copy();
  ASSERT_EQ(c.reply.slots().size(), 1u);
  EXPECT_EQ(c.reply.slots()[0], slot);
  c.reply.answer(Buffer(std::string("from the copy")), {});
  EXPECT_EQ(slot->contents().payload->view(), "from the copy");
}

}  // namespace
}  // namespace junction
