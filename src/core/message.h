#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ack.h"
#include "core/buffer.h"
#include "core/headers.h"
#include "core/reply_slots.h"

namespace junction {

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
  // Where the flow's answer goes when senders wait for it (request/reply):
  // shared by every copy of the message, and gathered from every part of a
  // merged one. Empty, and free, otherwise.
  ReplySlots reply;

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
// The same, into `out` (whose buffer is reused).
void new_message_id(std::string& out);

}  // namespace junction
