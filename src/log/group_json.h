#pragma once

#include <boost/json/object.hpp>

#include "log/group_status.h"

namespace junction::log {

// A consumer group as GET /topics/T/groups/G answers it and `junction topic
// describe` prints it:
//   {"group", "generation", "lag",
//    "members": [{"id", "kind": "local"|"remote", "partitions",
//                 "session_timeout_ms", "heartbeat_age_ms"}],   (the last two remote only)
//    "partitions": [{"partition", "committed", "start", "end", "lag", "owner"}]}
// A member's id is the coordinator's number: a remote member's API id starts
// with it, but its secret rest, which lets a client poll and commit as that
// member, is never shown.
boost::json::object group_to_json(const GroupStatus& status);

}  // namespace junction::log
