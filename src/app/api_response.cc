#include "app/api_response.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "http/problem.h"

namespace junction::app {

namespace beast_http = boost::beast::http;

http::Response problem(int status, std::string_view title, std::string_view detail,
                       const http::Request& req, const http::RequestInfo& info) {
  return http::problem_response(status, title, detail, info.request_id, req.version());
}

http::Response problem_from(const Error& e, const http::Request& req,
                            const http::RequestInfo& info) {
  const int status = e.http_status();
  return problem(status,
                 std::string(beast_http::obsolete_reason(static_cast<beast_http::status>(status))),
                 e.message(), req, info);
}

http::Response json_response(boost::json::value body, const http::Request& req) {
  http::Response res{beast_http::status::ok, req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.body() = boost::json::serialize(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

}  // namespace junction::app
