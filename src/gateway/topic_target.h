#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/server.h"
#include "spec/gateway_parse.h"

namespace junction::log {
class Store;
class Topic;
}  // namespace junction::log

namespace junction::gateway {

namespace asio = boost::asio;

// Where a request published to a topic landed.
struct Published {
  std::string id;  // the message id, also in the record's x-junction-id header
  int32_t partition = 0;
  int64_t offset = 0;
};

// A route whose target is a topic of the embedded log: the request body
// becomes one record (key from a request header, content type, request id,
// method, path and caller identity as headers), and the route answers once
// the record is durable by the topic's fsync policy. A flow that consumes
// the topic sees the record's id as its message id.
class TopicTarget {
 public:
  // Error::invalid when the topic is not open in `store`.
  static Result<TopicTarget> create(log::Store& store, const spec::TopicTargetSpec& spec);

  // Resumes on the calling coroutine's executor. Errors keep the log's
  // class: invalid (over max_message_size), overloaded (topic full, queue
  // full, disk full), permanent (the partition failed).
  asio::awaitable<Result<Published>> publish(const http::Request& req,
                                             const http::RequestInfo& info,
                                             std::string_view consumer) const;

  const std::string& topic_name() const { return spec_.topic; }

 private:
  TopicTarget(log::Store& store, log::Topic& topic, spec::TopicTargetSpec spec)
      : store_(&store), topic_(&topic), spec_(std::move(spec)) {}

  log::Store* store_;
  log::Topic* topic_;
  spec::TopicTargetSpec spec_;
};

}  // namespace junction::gateway
