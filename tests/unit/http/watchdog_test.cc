#include "http/watchdog.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>

#include "unit/http/socket_pair.h"

namespace junction::http::detail {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

using testing::SocketPair;

// What a read on a watched socket ended with, and when.
struct ReadOutcome {
  boost::system::error_code ec;
  std::chrono::steady_clock::duration took{};
  bool fired = false;
};

asio::awaitable<void> read_watched(tcp::socket& socket, Watch& watch,
                                   std::chrono::milliseconds limit, ReadOutcome& out) {
  const auto start = std::chrono::steady_clock::now();
  watch.expires_after(limit);
  char byte;
  auto [ec, n] = co_await socket.async_read_some(asio::buffer(&byte, 1), kNoThrow);
  watch.expires_never();
  out.ec = watch.cause(ec);
  out.took = std::chrono::steady_clock::now() - start;
  out.fired = watch.fired();
}

TEST(WatchdogTest, ASilentPeerIsCutOffAtTheLimitAndNotBefore) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  Watch watch(pair.server);
  ReadOutcome out;
  asio::co_spawn(ctx, read_watched(pair.server, watch, 200ms, out), asio::detached);
  ctx.run();
  EXPECT_TRUE(out.fired);
  EXPECT_EQ(out.ec, boost::beast::error::timeout);
  EXPECT_GE(out.took, 200ms);
  EXPECT_FALSE(pair.server.is_open());
}

TEST(WatchdogTest, DataInTimeIsReadAndTheLimitCanBeLifted) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  Watch watch(pair.server);
  ReadOutcome out;
  asio::co_spawn(ctx, read_watched(pair.server, watch, 5000ms, out), asio::detached);
  asio::write(pair.client, asio::buffer("x", 1));
  ctx.run();  // returns soon after the read, the limit lifted
  EXPECT_FALSE(out.fired);
  EXPECT_FALSE(out.ec) << out.ec.message();
  EXPECT_LT(out.took, 5000ms);
  EXPECT_TRUE(pair.server.is_open());
  // An error the watch did not cause keeps its own name.
  EXPECT_EQ(watch.cause(asio::error::connection_reset), asio::error::connection_reset);
}

TEST(WatchdogTest, SocketsWithoutLimitsDoNotKeepTheContextRunning) {
  // Pooled idle connections are watched with no limit: an io_context must
  // still run out of work, or a process never finishes its shutdown.
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  Watch idle(pair.client);
  {
    Watch busy(pair.server);
    busy.expires_after(50ms);
    busy.expires_never();
  }
  const auto start = std::chrono::steady_clock::now();
  ctx.run();  // returns once the sweep sees nothing with a limit
  EXPECT_TRUE(pair.client.is_open());
  EXPECT_FALSE(idle.fired());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(WatchdogTest, ALimitMovedLaterIsKept) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  Watch watch(pair.server);
  ReadOutcome out;
  asio::steady_timer nudge(ctx, 150ms);
  asio::co_spawn(ctx, read_watched(pair.server, watch, 300ms, out), asio::detached);
  // Before the first limit passes, the limit moves to 400 ms later.
  nudge.async_wait([&](boost::system::error_code) { watch.expires_after(400ms); });
  ctx.run();
  EXPECT_TRUE(out.fired);
  EXPECT_GE(out.took, 550ms);
}

}  // namespace
}  // namespace junction::http::detail
