#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/drained_read.h"

namespace junction::http::testing {

// A connected pair of TCP sockets on loopback, in `ctx`; the server's reads
// may skip tries as a Junction server's do, unless `skip_tries` is false.
struct SocketPair {
  explicit SocketPair(boost::asio::io_context& ctx, bool skip_tries = true)
      : client(ctx), server(ctx) {
    boost::asio::ip::tcp::acceptor acceptor(ctx, {boost::asio::ip::make_address("127.0.0.1"), 0});
    if (skip_tries) enable_drained_reads(acceptor);
    client.connect(acceptor.local_endpoint());
    server = acceptor.accept();
  }
  boost::asio::ip::tcp::socket client;
  boost::asio::ip::tcp::socket server;
};

}  // namespace junction::http::testing
