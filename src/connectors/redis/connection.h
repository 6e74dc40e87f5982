#pragma once

#include <string>
#include <vector>

#include "connectors/redis/endpoint.h"
#include "connectors/redis/reply.h"
#include "core/error.h"

struct redisContext;

namespace junction::connectors::redis {

// A command as its arguments: {"XACK", "orders", "billing", "1700000000000-0"}.
using Command = std::vector<std::string>;

// What a pipeline got back: the replies read, in order, and whether the
// transport held. When it did not, the replies stop at the first command
// whose answer was lost (that command may or may not have run).
struct PipelineResult {
  std::vector<Reply> replies;
  Status transport;
};

// A blocking hiredis connection. Used from one thread only (the Link's);
// every call is bounded by the endpoint's timeouts, so nothing here waits
// on a dead server for longer than that.
class Connection {
 public:
  explicit Connection(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends every command, then reads every reply: one round trip. Dials first
  // when there is no connection; a transport failure drops it, so the next
  // call dials again. `extra_wait` lengthens the read timeout for a command
  // that blocks on the server (XREADGROUP BLOCK).
  PipelineResult run(const std::vector<Command>& commands, Duration extra_wait = {});

  bool connected() const { return ctx_ != nullptr; }
  void disconnect();

 private:
  Status dial();
  Status set_read_timeout(Duration d);

  Endpoint endpoint_;
  redisContext* ctx_ = nullptr;
  Duration read_timeout_{};  // what the socket has now
};

}  // namespace junction::connectors::redis
