#pragma once

#include <boost/json/value.hpp>
#include <string_view>

#include "core/error.h"
#include "http/server.h"

namespace junction::app {

// The answers the topics API gives (app/topics_api.h, app/group_members_api.h):
// RFC 9457 problems for failures, JSON for the rest, each keeping the
// request's HTTP version and request id.
http::Response problem(int status, std::string_view title, std::string_view detail,
                       const http::Request& req, const http::RequestInfo& info);
// The problem for `e`, with the status its error class maps to.
http::Response problem_from(const Error& e, const http::Request& req,
                            const http::RequestInfo& info);
http::Response json_response(boost::json::value body, const http::Request& req);

}  // namespace junction::app
