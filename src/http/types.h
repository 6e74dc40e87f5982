#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace junction::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// The request line and fields alone; a Request is one.
using RequestHeader = boost::beast::http::request_header<>;

}  // namespace junction::http
