#pragma once

#include <mutex>
#include <optional>

#include "core/buffer.h"
#include "core/error.h"
#include "core/headers.h"

namespace junction {

// Where a flow leaves its answer for a sender that waits for one (a gateway
// route whose target is a flow). The sender creates it and puts it on the
// message; every copy of the message shares it, so the `reply` output
// reaches it whichever path the message took. The sender reads it once the
// message's Ack settled.
//
// Thread-safe: the flow writes on its executor, the sender reads on its own.
class ReplySlot {
 public:
  // What the slot holds once the flow is done with the message.
  struct Contents {
    std::optional<Buffer> payload;  // set: a reply was given
    Headers headers;                // the replied message's metadata
    std::optional<Error> failure;   // set: the flow gave up on the message
  };

  // The first reply wins: a split message, or an output write retried,
  // answers once.
  void reply(const Buffer& payload, const Headers& headers) {
    std::lock_guard lock(mu_);
    if (contents_.payload) return;
    contents_.payload = payload;
    contents_.headers = headers;
  }

  // The flow dead-lettered the message. A failure outranks a reply: the
  // message as a whole did not make it through. The first failure is kept.
  void fail(const Error& error) {
    std::lock_guard lock(mu_);
    if (!contents_.failure) contents_.failure = error;
  }

  Contents contents() const {
    std::lock_guard lock(mu_);
    return contents_;
  }

 private:
  mutable std::mutex mu_;
  Contents contents_;
};

}  // namespace junction
