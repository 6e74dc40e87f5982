#include "core/reply_slots.h"

#include "core/reply_slot.h"

namespace junction {

ReplySlots::ReplySlots(std::shared_ptr<ReplySlot> slot) {
  if (slot) slots_.push_back(std::move(slot));
}

void ReplySlots::merge(const ReplySlots& part) {
  for (const auto& slot : part.slots_) {
    // Only the last slot is compared: a full search would make merging a
    // batch of n requests' messages cost n^2, and a slot answered twice is
    // harmless (the first reply wins), just wasted.
    if (!slots_.empty() && slots_.back() == slot) continue;
    slots_.push_back(slot);
  }
}

void ReplySlots::answer(const Buffer& payload, const Headers& headers) const {
  for (const auto& slot : slots_) slot->reply(payload, headers);
}

void ReplySlots::fail(const Error& error) const {
  for (const auto& slot : slots_) slot->fail(error);
}

}  // namespace junction
