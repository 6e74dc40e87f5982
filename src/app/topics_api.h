#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "app/remote_members.h"
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
//   GET  /topics/NAME/records?group=G&member=ID&max=M&wait=D
//                                                 a group member's poll (and heartbeat):
//                                                 records from its partitions only
//   POST /topics/NAME/groups/G/offsets[?member=ID]
//                                                 commit [{"partition":P,"offset":N}]: as a
//                                                 member for its partitions, or without
//                                                 one while the group has no members
//   GET  /topics/NAME/groups                      every group: log/group_json.h
//   GET  /topics/NAME/groups/G                    one: members, committed offsets, lag
//   POST   /topics/NAME/groups/G/members          join: {"session_timeout","start"}
//   DELETE /topics/NAME/groups/G/members/ID       leave
// `wait` long-polls: the answer comes when records arrive or the wait ends.
// Without `members`, only the requests without a member are served. Returns
// nothing when the path is not under /topics. The group members' requests
// (join, poll, commit, leave) are served by app/group_members_api.h.
boost::asio::awaitable<std::optional<http::Response>> handle_topics_api(
    log::Store& store, RemoteMembers* members, http::Request& req, const http::RequestInfo& info);

}  // namespace junction::app
