#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <span>
#include <string>

#include "core/error.h"
#include "core/message.h"
#include "core/units.h"

namespace junction::flow {

namespace asio = boost::asio;

// Where an input hands its messages to the flow. `emit` suspends while the
// flow's queue is full: that is how a slow output slows its input.
class Emitter {
 public:
  virtual ~Emitter() = default;
  // Takes ownership of the batch (and of its acks). Fails only when the flow
  // is shutting down; the batch is then settled as failed by the flow.
  virtual asio::awaitable<Status> emit(MessageBatch batch) = 0;
  // True once the flow asked its input to stop.
  virtual bool stopping() const = 0;
};

// A source of messages: a file, an HTTP listener, a broker subscription.
// Runs on the flow's executor; single-threaded inside.
class Input {
 public:
  virtual ~Input() = default;
  // Opens what the input reads from (files, sockets). Separate from the
  // constructor so that `junction validate` can build components without
  // side effects.
  virtual asio::awaitable<Status> open() { co_return ok_status(); }
  // Produces messages until the source ends or the emitter says stopping().
  // A returned error stops the flow.
  virtual asio::awaitable<Status> run(Emitter& emitter) = 0;
  // Asks run() to return soon (stop reading, stop accepting). Called on the
  // flow's executor.
  virtual void stop() {}
  // Called after the flow drained, to release what open() took.
  virtual asio::awaitable<void> close() { co_return; }
};

// A CPU-side step of a pipeline: map, filter, split, validate...
class Processor {
 public:
  virtual ~Processor() = default;
  // Appends what `msg` becomes to `out`: nothing (filtered: settle msg.ack),
  // itself (transformed), or several (split: share msg.ack among them). On
  // error, leaves `msg` intact for the retry and dead-letter path.
  virtual Status process(Message& msg, MessageBatch& out) = 0;
  // A processor that waits on I/O (a lookup in PostgreSQL or Redis) returns
  // true here and overrides process_async; the flow then co_awaits that
  // instead of calling process(), which such a processor implements as an
  // error. The default keeps CPU-only processors free of a coroutine frame
  // per message.
  virtual bool is_async() const { return false; }
  virtual asio::awaitable<Status> process_async(Message& msg, MessageBatch& out) {
    co_return process(msg, out);
  }
  // Processors that hold messages back (batch) are flushed at this period
  // and when the flow drains.
  virtual std::optional<Duration> flush_interval() const { return std::nullopt; }
  virtual void flush(MessageBatch& /*out*/) {}
};

// How much of a batch an output took: the first `written` messages are
// durably accepted; the rest failed with `status`. With `only_next`, the
// failure is batch[written]'s alone (a row the database rejected) and the
// messages after it were not tried: the flow dead-letters that one message
// and writes the rest again.
struct WriteResult {
  size_t written = 0;
  Status status;
  bool only_next = false;

  static WriteResult all(size_t n) { return {n, ok_status()}; }
};

// A destination: a file, an HTTP endpoint, a broker.
class Output {
 public:
  virtual ~Output() = default;
  virtual asio::awaitable<Status> open() { co_return ok_status(); }
  // Reports success only once the target durably accepted the messages.
  virtual asio::awaitable<WriteResult> write(std::span<const Message> batch) = 0;
  virtual asio::awaitable<void> close() { co_return; }
};

}  // namespace junction::flow
