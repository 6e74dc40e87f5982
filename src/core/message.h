#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ack.h"
#include "core/buffer.h"
#include "core/headers.h"

namespace junction {

class ReplySlot;  // core/reply_slot.h

// One unit of data moving through a flow. Move-only because it owns its Ack:
// exactly one holder is responsible for settling it. Use `copy()` for a
// duplicate that shares the payload bytes (and the reply slot) but carries
// no Ack.
struct Message {
  Buffer payload;
  std::string key;
  Headers headers;
  int64_t timestamp_ms = 0;  // milliseconds since the Unix epoch
  std::string id;
  // Output names this message is routed to (set by `switch`); empty = all.
  std::vector<std::string> routes;
  Ack ack;
  // Set when the sender waits for the flow's answer (request/reply); shared
  // by every copy of the message. Null, and free, otherwise.
  std::shared_ptr<ReplySlot> reply;

  Message() = default;
  Message(Message&&) = default;
  Message& operator=(Message&&) = default;

  Message copy() const;
};

using MessageBatch = std::vector<Message>;

// Milliseconds since the Unix epoch, from the system clock.
int64_t now_ms();
// A new unique message id (time-ordered, 26 chars, like a ULID).
std::string new_message_id();

}  // namespace junction
