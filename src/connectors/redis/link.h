#pragma once

#include <boost/asio/awaitable.hpp>
#include <vector>

#include "connectors/redis/connection.h"
#include "core/executor.h"

namespace junction::connectors::redis {

// A Redis connection with the one thread it is used on. hiredis' blocking
// API is simple and bounded by timeouts, and a thread of our own keeps its
// waits (XREADGROUP BLOCK, a dead server's timeout) off the flow's executor
// and off the shared blocking pool. Calls are awaited one at a time.
class Link {
 public:
  explicit Link(Endpoint endpoint) : connection_(std::move(endpoint)) {}
  // Waits for the call in progress (bounded by the endpoint's timeouts).
  ~Link() { thread_.join(); }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Runs `commands` (which must outlive the call) as one pipeline on the
  // link's thread and resumes on the caller's executor.
  boost::asio::awaitable<PipelineResult> run(const std::vector<Command>* commands,
                                             Duration extra_wait = {});

 private:
  Connection connection_;
  BlockingPool thread_{1};
};

}  // namespace junction::connectors::redis
