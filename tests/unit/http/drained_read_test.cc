#include "http/drained_read.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "unit/http/socket_pair.h"

namespace junction::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

using testing::SocketPair;

struct Read {
  boost::system::error_code ec;
  std::string data;
  bool done = false;
};

// Starts one read of up to `room` bytes on `socket` into `out`.
void start_read(tcp::socket& socket, size_t room, Read& out, std::string& buffer) {
  buffer.assign(room, '\0');
  async_read_some_drained(socket, asio::buffer(buffer),
                          [&out, &buffer](boost::system::error_code ec, size_t n) {
                            out.ec = ec;
                            out.data = buffer.substr(0, n);
                            out.done = true;
                          });
}

// Runs `ctx` until `read` is done, for 5 s at most.
void run_until_done(asio::io_context& ctx, const Read& read) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!read.done && std::chrono::steady_clock::now() < deadline) {
    ctx.restart();
    ctx.run_for(10ms);
  }
}

// Sends `bytes` from the client and reads once on the server: what the
// read got, or the error's message.
std::string send_and_read(asio::io_context& ctx, SocketPair& pair, const std::string& bytes) {
  asio::write(pair.client, asio::buffer(bytes));
  std::string buffer;
  Read read;
  start_read(pair.server, 64, read, buffer);
  run_until_done(ctx, read);
  if (!read.done) return "(no completion)";
  if (read.ec) return read.ec.message();
  return read.data;
}

TEST(DrainedReadTest, BytesThatArriveAfterTheSocketWasEmptiedAreRead) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  std::string buffer;
  // A short read: the next one waits for epoll.
  ASSERT_EQ(send_and_read(ctx, pair, "abc"), "abc");

  // The next read waits without trying; bytes sent later must still reach it.
  Read second;
  start_read(pair.server, 64, second, buffer);
  ctx.restart();
  ctx.run_for(20ms);
  EXPECT_FALSE(second.done);
  asio::write(pair.client, asio::buffer(std::string("def")));
  run_until_done(ctx, second);
  ASSERT_TRUE(second.done);
  EXPECT_FALSE(second.ec);
  EXPECT_EQ(second.data, "def");
}

#if JUNCTION_DRAINED_READ
// Sends "abc", reads it, then starts the next read with nothing sent, sends
// "def", and returns how many tries of that next read found nothing.
uint64_t empty_tries_of_the_read_after_a_short_one(bool skip_tries) {
  asio::io_context ctx(1);
  SocketPair pair(ctx, skip_tries);
  EXPECT_EQ(send_and_read(ctx, pair, "abc"), "abc");
  const uint64_t before = drained_read_detail::tries_that_found_nothing;
  std::string buffer;
  Read next;
  start_read(pair.server, 64, next, buffer);
  ctx.restart();
  ctx.run_for(20ms);
  asio::write(pair.client, asio::buffer(std::string("def")));
  run_until_done(ctx, next);
  EXPECT_TRUE(next.done);
  EXPECT_EQ(next.data, "def");
  return drained_read_detail::tries_that_found_nothing - before;
}

TEST(DrainedReadTest, TheReadAfterAShortOneWaitsForEpollWithoutTrying) {
  EXPECT_EQ(empty_tries_of_the_read_after_a_short_one(/*skip_tries=*/true), 0u);
  // Without TCP_INQ the socket's emptiness is unknown: it is tried, as Asio does.
  EXPECT_EQ(empty_tries_of_the_read_after_a_short_one(/*skip_tries=*/false), 1u);
}
#endif

// The client sends "abc" and then `end` (a FIN or an RST), both arriving
// before the server reads; `seen_first` lets the reactor collect their edge
// before the read starts. Returns how the read after "abc" ended.
template <class End>
std::optional<boost::system::error_code> after_data_then(bool seen_first, End end) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  asio::write(pair.client, asio::buffer(std::string("abc")));
  end(pair.client);
  std::this_thread::sleep_for(20ms);  // loopback delivers both in this time
  if (seen_first) {
    // A timer gives the context work, so it waits in epoll and collects the
    // socket's edge while no read is queued.
    asio::steady_timer tick(ctx, 20ms);
    tick.async_wait([](boost::system::error_code) {});
    ctx.restart();
    ctx.run();
  }
  std::string buffer;
  Read first;
  start_read(pair.server, 64, first, buffer);
  run_until_done(ctx, first);
  EXPECT_TRUE(first.done);
  EXPECT_EQ(first.data, "abc");
  Read second;
  start_read(pair.server, 64, second, buffer);
  run_until_done(ctx, second);
  if (!second.done) return std::nullopt;
  return second.ec;
}

void send_fin(tcp::socket& s) {
  s.shutdown(tcp::socket::shutdown_send);
}
void send_rst(tcp::socket& s) {
  s.set_option(asio::socket_base::linger(true, 0));
  s.close();
}

TEST(DrainedReadTest, AFinQueuedBehindTheDataEndsTheNextReadWithEof) {
  EXPECT_EQ(after_data_then(/*seen_first=*/false, send_fin), asio::error::eof);
  EXPECT_EQ(after_data_then(/*seen_first=*/true, send_fin), asio::error::eof);
}

TEST(DrainedReadTest, AnRstQueuedBehindTheDataEndsTheNextReadWithAReset) {
  EXPECT_EQ(after_data_then(/*seen_first=*/false, send_rst), asio::error::connection_reset);
  EXPECT_EQ(after_data_then(/*seen_first=*/true, send_rst), asio::error::connection_reset);
}

TEST(DrainedReadTest, BytesThatArriveBetweenReadsAreReadAtOnce) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  std::string buffer;
  ASSERT_EQ(send_and_read(ctx, pair, "one"), "one");
  // Sent while no read is waiting: the reactor sees the edge with nothing
  // queued, and the next read must find the bytes.
  asio::write(pair.client, asio::buffer(std::string("two")));
  ctx.restart();
  ctx.run_for(20ms);
  Read second;
  start_read(pair.server, 64, second, buffer);
  run_until_done(ctx, second);
  ASSERT_TRUE(second.done);
  EXPECT_EQ(second.data, "two");
}

TEST(DrainedReadTest, AFullReadLeavesTheRestForTheNext) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  asio::write(pair.client, asio::buffer(std::string("0123456789")));
  std::string buffer;
  std::string got;
  for (int i = 0; i < 3; ++i) {
    Read read;
    start_read(pair.server, 4, read, buffer);
    run_until_done(ctx, read);
    ASSERT_TRUE(read.done) << i;
    ASSERT_FALSE(read.ec) << i;
    got += read.data;
  }
  EXPECT_EQ(got, "0123456789");
}

// Starts a read on the server, lets it wait, runs `interrupt`, and returns
// what the read ended with.
template <class Fn>
std::optional<boost::system::error_code> ended_by(asio::io_context& ctx, SocketPair& pair,
                                                  Fn interrupt) {
  std::string buffer;
  Read read;
  start_read(pair.server, 64, read, buffer);
  ctx.restart();
  ctx.run_for(10ms);
  if (read.done) return std::nullopt;  // it did not wait
  interrupt();
  run_until_done(ctx, read);
  if (!read.done) return std::nullopt;
  return read.ec;
}

TEST(DrainedReadTest, APeerThatClosesEndsTheReadWithEof) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  EXPECT_EQ(ended_by(ctx, pair, [&] { pair.client.close(); }), asio::error::eof);
}

TEST(DrainedReadTest, AWaitingReadIsCancelledByItsSlotAndBySocketCancel) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  std::string buffer(64, '\0');
  asio::cancellation_signal signal;
  Read by_slot;
  async_read_some_drained(
      pair.server, asio::buffer(buffer),
      asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec, size_t) {
        by_slot.ec = ec;
        by_slot.done = true;
      }));
  ctx.restart();
  ctx.run_for(10ms);
  ASSERT_FALSE(by_slot.done);
  signal.emit(asio::cancellation_type::terminal);
  run_until_done(ctx, by_slot);
  ASSERT_TRUE(by_slot.done);
  EXPECT_EQ(by_slot.ec, asio::error::operation_aborted);

  EXPECT_EQ(ended_by(ctx, pair, [&] { pair.server.cancel(); }), asio::error::operation_aborted);

  // The socket still reads after both.
  EXPECT_EQ(send_and_read(ctx, pair, "still"), "still");
}

TEST(DrainedReadTest, AContextMadeWhereAnEndedOneWasReadsThroughItsOwnReactor) {
  // The same storage each time, so each context has the address of the
  // last: what the read remembers of an ended context must not be used.
  std::optional<asio::io_context> ctx;
  for (int i = 0; i < 3; ++i) {
    ctx.emplace(1);
    {
      SocketPair pair(*ctx);
      EXPECT_EQ(send_and_read(*ctx, pair, "round"), "round") << i;
    }
    ctx.reset();
  }
}

TEST(DrainedReadTest, AwaitsInACoroutineWithDeferred) {
  asio::io_context ctx(1);
  SocketPair pair(ctx);
  std::optional<std::string> got;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        std::string buffer(64, '\0');
        std::string all;
        while (all.size() < 6) {
          auto [ec, n] = co_await async_read_some_drained(pair.server, asio::buffer(buffer),
                                                          asio::as_tuple(asio::deferred));
          if (ec) break;
          all += buffer.substr(0, n);
        }
        got = all;
      },
      asio::detached);
  asio::steady_timer later(ctx, 20ms);
  later.async_wait([&](boost::system::error_code) {
    asio::write(pair.client, asio::buffer(std::string("456")));
  });
  asio::write(pair.client, asio::buffer(std::string("123")));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!got && std::chrono::steady_clock::now() < deadline) {
    ctx.restart();
    ctx.run_for(10ms);
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "123456");
}

}  // namespace
}  // namespace junction::http
