#include "http/wire.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <string>

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

// A connected pair of loopback sockets; the sender's buffer made small so
// that a large message does not fit at once.
struct SocketPair {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sender{io};
  boost::asio::ip::tcp::socket receiver{io};

  SocketPair() {
    using boost::asio::ip::tcp;
    tcp::acceptor acceptor(io, {boost::asio::ip::address_v4::loopback(), 0});
    sender.open(tcp::v4());
    sender.set_option(boost::asio::socket_base::send_buffer_size(4096));
    sender.connect(acceptor.local_endpoint());
    receiver = acceptor.accept();
  }
};

TEST(WireMessageTest, ASmallMessageIsWrittenAtOnce) {
  SocketPair p;
  const std::string header = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
  WireMessage message(header, "ok");
  boost::system::error_code ec;
  EXPECT_TRUE(message.write_now(p.sender, ec));
  EXPECT_FALSE(ec);
  std::string got(header.size() + 2, '\0');
  boost::asio::read(p.receiver, boost::asio::buffer(got));
  EXPECT_EQ(got, header + "ok");
}

TEST(WireMessageTest, WhatTheSocketDoesNotTakeIsLeftForTheWaitingWrite) {
  SocketPair p;
  const std::string header = "HTTP/1.1 200 OK\r\n\r\n";
  std::string body(1024 * 1024, 'x');
  for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + i / 4096 % 26);
  WireMessage message(header, body);
  boost::system::error_code ec;
  ASSERT_FALSE(message.write_now(p.sender, ec));  // 1 MiB cannot fit a 4 KiB buffer
  EXPECT_FALSE(ec);

  std::string got(header.size() + body.size(), '\0');
  boost::system::error_code rest_ec, read_ec;
  boost::asio::co_spawn(
      p.io,
      [&]() -> boost::asio::awaitable<void> {
        auto rest = message.write_rest(p.sender);
        std::tie(rest_ec, std::ignore) = co_await std::move(rest);
      },
      boost::asio::detached);
  boost::asio::async_read(p.receiver, boost::asio::buffer(got),
                          [&](boost::system::error_code e, size_t) { read_ec = e; });
  p.io.run();
  EXPECT_FALSE(rest_ec);
  EXPECT_FALSE(read_ec);
  EXPECT_TRUE(got == header + body) << "the bytes arrived out of order or incomplete";
}

TEST(WireMessageTest, AFailedWriteIsReportedAndLeavesNothingToWaitFor) {
  SocketPair p;
  p.receiver.close();
  p.sender.shutdown(boost::asio::socket_base::shutdown_send);
  WireMessage message("HTTP/1.1 200 OK\r\n\r\n", "");
  boost::system::error_code ec;
  EXPECT_TRUE(message.write_now(p.sender, ec));
  EXPECT_EQ(ec, boost::asio::error::broken_pipe);
}

}  // namespace
}  // namespace junction::http
