#include "http/dispatch.h"

#include <gtest/gtest.h>

namespace junction::http::detail {
namespace {

namespace bhttp = boost::beast::http;

struct WireFinish {
  ServerOptions options;
  RequestInfo info;
  std::string lines;

  WireFinish() {
    options.server_name = "junction";
    info.request_id = "req-1";
  }
};

TEST(FinishResponseOnWireTest, RequestIdServerAndFramingGoOnTheWireNotIntoTheFields) {
  WireFinish f;
  Response res{bhttp::status::ok, 11};
  res.set("X-Request-Id", "the-upstream-s");  // replaced, not doubled
  res.body() = "hello";
  EXPECT_TRUE(finish_response_on_wire(res, 11, true, false, f.info, f.options, f.lines));
  EXPECT_EQ(f.lines, "Server: junction\r\nX-Request-Id: req-1\r\nContent-Length: 5\r\n");
  EXPECT_EQ(res.find("X-Request-Id"), res.end());
  EXPECT_EQ(res.find(bhttp::field::content_length), res.end());
}

TEST(FinishResponseOnWireTest, OtherFramingIsMadeRightInTheFields) {
  WireFinish f;
  Response wrong{bhttp::status::ok, 11};
  wrong.set(bhttp::field::content_length, "7");
  wrong.body() = "hello";
  finish_response_on_wire(wrong, 11, true, false, f.info, f.options, f.lines);
  EXPECT_EQ(wrong[bhttp::field::content_length], "5");
  EXPECT_EQ(f.lines.find("Content-Length"), std::string::npos);

  // No body to frame: Beast's rules, no line.
  Response empty{bhttp::status::no_content, 11};
  f.lines.clear();
  finish_response_on_wire(empty, 11, true, false, f.info, f.options, f.lines);
  EXPECT_EQ(f.lines, "Server: junction\r\nX-Request-Id: req-1\r\n");
}

TEST(FinishResponseOnWireTest, KeepsTheResponsesServerAndAMatchingLength) {
  WireFinish f;
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::server, "nginx");
  res.set(bhttp::field::content_length, "2");
  res.body() = "ok";
  EXPECT_TRUE(finish_response_on_wire(res, 11, true, false, f.info, f.options, f.lines));
  EXPECT_EQ(f.lines, "X-Request-Id: req-1\r\n");
  EXPECT_EQ(res[bhttp::field::server], "nginx");
  EXPECT_EQ(res.count(bhttp::field::content_length), 1u);
}

TEST(FinishResponseOnWireTest, ConnectionLineOnlyWhereTheVersionsDefaultDiffers) {
  WireFinish f;
  Response closing{bhttp::status::ok, 11};
  EXPECT_FALSE(finish_response_on_wire(closing, 11, false, false, f.info, f.options, f.lines));
  EXPECT_EQ(
      f.lines,
      "Server: junction\r\nX-Request-Id: req-1\r\nContent-Length: 0\r\nConnection: close\r\n");

  // An HTTP/1.0 client that asked to keep the connection keeps it, though
  // the response made for it carries its version and no Connection field.
  Response old{bhttp::status::ok, 10};
  f.lines.clear();
  EXPECT_TRUE(finish_response_on_wire(old, 10, true, false, f.info, f.options, f.lines));
  EXPECT_EQ(f.lines,
            "Server: junction\r\nX-Request-Id: req-1\r\nContent-Length: 0\r\n"
            "Connection: keep-alive\r\n");
  Response old_closing{bhttp::status::ok, 10};
  f.lines.clear();
  EXPECT_FALSE(finish_response_on_wire(old_closing, 10, false, false, f.info, f.options, f.lines));
  EXPECT_EQ(f.lines, "Server: junction\r\nX-Request-Id: req-1\r\nContent-Length: 0\r\n");
}

TEST(FinishResponseOnWireTest, AHandlersConnectionCloseWins) {
  WireFinish f;
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::connection, "close");
  EXPECT_FALSE(finish_response_on_wire(res, 11, true, false, f.info, f.options, f.lines));
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(f.lines.find("Connection"), std::string::npos);  // the field says it
}

TEST(FinishResponseOnWireTest, AHeadAnswerKeepsTheLengthAndDropsTheBody) {
  WireFinish f;
  Response res{bhttp::status::ok, 11};
  res.body() = "twelve bytes";
  EXPECT_TRUE(finish_response_on_wire(res, 11, true, true, f.info, f.options, f.lines));
  EXPECT_EQ(res[bhttp::field::content_length], "12");
  EXPECT_TRUE(res.body().empty());
}

TEST(FinishResponseOnWireTest, TheHandlersLinesComeFirstAndStay) {
  WireFinish f;
  f.lines = "RateLimit-Limit: 10\r\n";
  Response res{bhttp::status::ok, 11};
  EXPECT_TRUE(finish_response_on_wire(res, 11, true, false, f.info, f.options, f.lines));
  EXPECT_EQ(f.lines,
            "RateLimit-Limit: 10\r\nServer: junction\r\nX-Request-Id: req-1\r\n"
            "Content-Length: 0\r\n");
}

TEST(InsertFieldLinesTest, MovesEachLineIntoTheFields) {
  Response res{bhttp::status::ok, 11};
  std::string lines = "RateLimit-Limit: 10\r\nRateLimit-Policy: 10;w=1, 100;w=60\r\nX-Empty:\r\n";
  insert_field_lines(res, lines);
  EXPECT_TRUE(lines.empty());
  EXPECT_EQ(res["RateLimit-Limit"], "10");
  EXPECT_EQ(res["RateLimit-Policy"], "10;w=1, 100;w=60");
  EXPECT_EQ(res.count("X-Empty"), 1u);
  EXPECT_EQ(std::distance(res.begin(), res.end()), 3);
}

}  // namespace
}  // namespace junction::http::detail
