#pragma once

#include <memory>
#include <vector>

#include "core/buffer.h"
#include "core/error.h"
#include "core/headers.h"

namespace junction {

class ReplySlot;  // core/reply_slot.h

// The reply slots a message answers: none for most messages, one for a
// request's message (a gateway route whose target is a flow), and one per
// request once messages from several requests are merged into one (batch):
// the merged message's reply, or its failure, is every such request's
// answer. Copies of a message share its slots.
//
// Not thread-safe itself, like the rest of a Message; the slots it points
// to are.
class ReplySlots {
 public:
  ReplySlots() = default;
  explicit ReplySlots(std::shared_ptr<ReplySlot> slot);

  bool empty() const { return slots_.empty(); }
  explicit operator bool() const { return !empty(); }
  const std::vector<std::shared_ptr<ReplySlot>>& slots() const { return slots_; }

  // Adds `part`'s slots: the message carrying these now answers for it too.
  // Parts of one split message are adjacent in a batch and share a slot;
  // that slot is kept once.
  void merge(const ReplySlots& part);

  // Gives every slot the reply (each keeps the first it got).
  void answer(const Buffer& payload, const Headers& headers) const;
  // Tells every slot the flow gave up on the message.
  void fail(const Error& error) const;

 private:
  std::vector<std::shared_ptr<ReplySlot>> slots_;
};

}  // namespace junction
