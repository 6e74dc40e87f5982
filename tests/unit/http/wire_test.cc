#include "http/wire.h"

#include <gtest/gtest.h>

namespace junction::http {
namespace {

namespace bhttp = boost::beast::http;

TEST(WireTest, ARelayedRequestGetsTheLinesHostInPlaceOfItsOwnAndTheAddedLinesLast) {
  Request req{bhttp::verb::get, "/ignored", 11};
  req.set(bhttp::field::host, "gateway.example");
  req.set(bhttp::field::accept, "*/*");
  const RequestLine line{"/base", "/x?q=1", "upstream:8080", "X-Forwarded-For: 10.0.0.1\r\n"};
  std::string out = "left over";
  format_header(req, line, out);
  EXPECT_EQ(out,
            "GET /base/x?q=1 HTTP/1.1\r\n"
            "Host: upstream:8080\r\n"
            "Accept: */*\r\n"
            "X-Forwarded-For: 10.0.0.1\r\n"
            "\r\n");
}

TEST(WireTest, WithoutALineHostTheRequestsOwnIsSent) {
  Request req{bhttp::verb::get, "/x", 11};
  req.set(bhttp::field::host, "gateway.example");
  std::string out;
  format_header(req, RequestLine{}, out);
  EXPECT_EQ(out, "GET /x HTTP/1.1\r\nHost: gateway.example\r\n\r\n");
}

TEST(WireTest, AResponsesAddedLinesFollowItsFields) {
  Response res{bhttp::status::not_found, 10};
  res.set(bhttp::field::content_length, "0");
  std::string out;
  format_header(res, out, "X-Request-Id: r-1\r\n");
  EXPECT_EQ(out, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nX-Request-Id: r-1\r\n\r\n");
}

}  // namespace
}  // namespace junction::http
