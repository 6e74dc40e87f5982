#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <string>

#include "app/remote_members.h"
#include "http/server.h"
#include "log/store.h"

namespace junction::app {

// A consumer group's remote members over the topics API (app/topics_api.h
// routes to these): they join, poll, commit and leave. Each refusal is a
// problem a client can act on: 404 for a member unknown (join again), 409 for
// a partition it lost or a stale generation (poll again).

// POST /topics/NAME/groups/G/members: {"session_timeout", "start"} or no body.
boost::asio::awaitable<http::Response> join_group(RemoteMembers& members, log::Topic& topic,
                                                  const std::string& group,
                                                  const http::Request& req,
                                                  const http::RequestInfo& info);

// GET /topics/NAME/records?group=G&member=ID: records from the member's
// partitions only; also its heartbeat.
boost::asio::awaitable<http::Response> member_poll(RemoteMembers& members, log::Topic& topic,
                                                   const std::string& group,
                                                   const std::string& member, size_t max,
                                                   std::chrono::milliseconds wait,
                                                   const http::Request& req,
                                                   const http::RequestInfo& info);

// POST /topics/NAME/groups/G/offsets[?member=ID]: as a member (`member` not
// empty) for its partitions, fenced by ownership and, when the body names it,
// by generation; or without one while the group has no members.
boost::asio::awaitable<http::Response> commit_offsets(log::Store& store, RemoteMembers* members,
                                                      log::Topic& topic, const std::string& group,
                                                      const std::string& member,
                                                      const http::Request& req,
                                                      const http::RequestInfo& info);

// DELETE /topics/NAME/groups/G/members/ID.
http::Response leave_group(RemoteMembers& members, log::Topic& topic, const std::string& group,
                           const std::string& member, const http::Request& req,
                           const http::RequestInfo& info);

}  // namespace junction::app
