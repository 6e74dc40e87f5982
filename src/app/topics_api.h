#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "http/server.h"
#include "log/store.h"

namespace junction::app {

// The embedded log over HTTP, served on the observability listener:
//   GET  /topics                                  topics with partitions and ends
//   POST /topics/NAME/records                     append a record or an array of records;
//                                                 answers once durable, with their offsets
//   GET  /topics/NAME/records?partition=P&offset=N&max=M&wait=D
//                                                 read from an offset (a browse)
//   GET  /topics/NAME/records?group=G&max=M&wait=D
//                                                 read from the group's committed offsets
//   POST /topics/NAME/groups/G/offsets            commit [{"partition":P,"offset":N}]
// `wait` long-polls: the answer comes when records arrive or the wait ends.
// Returns nothing when the path is not under /topics.
boost::asio::awaitable<std::optional<http::Response>> handle_topics_api(
    log::Store& store, http::Request& req, const http::RequestInfo& info);

}  // namespace junction::app
