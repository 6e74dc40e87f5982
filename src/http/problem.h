#pragma once

#include <boost/json/fwd.hpp>
#include <string_view>

#include "http/types.h"

namespace junction::http {

// The last segment of the problem "type" URI for a status: 404 -> "not-found".
std::string_view problem_slug(int status);

// An RFC 9457 application/problem+json response. Every error the server
// itself generates has this shape, so clients parse one format only.
Response problem_response(int status, std::string_view title, std::string_view detail,
                          std::string_view request_id, unsigned version = 11);

// The same with RFC 9457 extension members (e.g. a list of "errors") added
// after the standard ones; an extension never replaces a standard member.
Response problem_response(int status, std::string_view title, std::string_view detail,
                          std::string_view request_id, unsigned version,
                          const boost::json::object& extensions);

}  // namespace junction::http
