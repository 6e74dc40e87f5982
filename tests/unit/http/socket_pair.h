#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace junction::http::testing {

// A connected pair of TCP sockets on loopback, in `ctx`.
struct SocketPair {
  explicit SocketPair(boost::asio::io_context& ctx) : client(ctx), server(ctx) {
    boost::asio::ip::tcp::acceptor acceptor(ctx, {boost::asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
  boost::asio::ip::tcp::socket client;
  boost::asio::ip::tcp::socket server;
};

}  // namespace junction::http::testing
