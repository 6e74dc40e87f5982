#include "connectors/amqp/confirms.h"

#include <fmt/format.h>

namespace junction::connectors::amqp {

ConfirmTracker::ConfirmTracker(uint64_t first_tag, std::vector<std::string> message_ids)
    : first_tag_(first_tag), pending_(message_ids.size()) {
  publishes_.reserve(message_ids.size());
  for (auto& id : message_ids) publishes_.push_back({std::move(id)});
}

void ConfirmTracker::settle(uint64_t tag, bool multiple, State to) {
  // Tags outside the batch belong to an earlier batch that timed out.
  if (tag < first_tag_) return;
  const uint64_t last = tag - first_tag_;
  if (last >= publishes_.size()) return;
  const uint64_t from = multiple ? 0 : last;
  for (uint64_t i = from; i <= last; ++i) {
    if (publishes_[i].state != State::kPending) continue;
    publishes_[i].state = to;
    --pending_;
  }
}

void ConfirmTracker::acked(uint64_t tag, bool multiple) {
  settle(tag, multiple, State::kAcked);
}

void ConfirmTracker::nacked(uint64_t tag, bool multiple) {
  settle(tag, multiple, State::kNacked);
}

void ConfirmTracker::returned(std::string_view message_id, std::string reason) {
  // The return precedes its ack, so it is the first pending publish with
  // that id that was not returned yet.
  for (auto& p : publishes_) {
    if (p.state == State::kPending && !p.returned && p.id == message_id) {
      p.returned = true;
      p.return_reason = std::move(reason);
      return;
    }
  }
}

flow::WriteResult ConfirmTracker::result(const std::optional<Error>& lost) const {
  for (size_t i = 0; i < publishes_.size(); ++i) {
    const Publish& p = publishes_[i];
    if (p.returned) {
      return {i, Error::invalid(fmt::format("unroutable: {}", p.return_reason))};
    }
    if (p.state == State::kNacked) {
      return {i, Error::transient("the broker nacked the publish")};
    }
    if (p.state == State::kPending) {
      if (lost) return {i, *lost};
      return {i, Error::transient("the broker did not confirm the publish in time")};
    }
  }
  return flow::WriteResult::all(publishes_.size());
}

}  // namespace junction::connectors::amqp
