#pragma once

#include <nats/nats.h>

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/headers.h"

namespace junction::connectors::nats {

// The header that carries the subject a message was received on.
inline constexpr std::string_view kSubjectHeader = "x-junction-nats-subject";
// JetStream's de-duplication id, set from and to the message id.
inline constexpr const char* kMsgIdHeader = "Nats-Msg-Id";

// Every NATS header of `msg` (all values of a repeated one) into `out`.
// libnats parses headers lazily into the message: not thread-safe, so only
// the thread that owns `msg` at the time calls this.
void read_headers(natsMsg* msg, Headers& out);

// The message's headers onto an outgoing NATS message. Headers named Nats-*
// are left out: they are JetStream instructions (expected stream, sequence,
// rollup) that a message carried from elsewhere must not give its new
// stream; the message id is set on its own. A name with ':' or whitespace,
// or a value with a line break, would break the wire format: invalid.
Status write_headers(const Headers& in, natsMsg* msg);

// True for the JetStream instruction headers write_headers leaves out.
bool is_jetstream_header(std::string_view name);

}  // namespace junction::connectors::nats
