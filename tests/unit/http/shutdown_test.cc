#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <future>

#include "http/server.h"
#include "unit/http/test_support.h"

namespace junction::http {
namespace {

using testing::RawClient;
using testing::TestServer;

// A handler that tells the test it has started, then answers after `delay`.
Handler slow_handler(std::shared_ptr<std::promise<void>> started, Duration delay) {
  return [started, delay](Request&, const RequestInfo&) -> asio::awaitable<Response> {
    started->set_value();
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
    Response res{bhttp::status::ok, 11};
    res.body() = "done";
    co_return res;
  };
}

TEST(ShutdownTest, DrainsInFlightRequest) {
  auto started = std::make_shared<std::promise<void>>();
  auto started_future = started->get_future();
  TestServer server(slow_handler(started, std::chrono::milliseconds(200)));
  RawClient idle(server.port());  // connected, never sends: closed at once on shutdown
  ASSERT_TRUE(idle.connected());

  auto& client = server.client();
  auto url = server.url("/slow");
  auto response = asio::co_spawn(
      server.io.ctx,
      testing::IoThread::as_optional(client.send(url, Request{bhttp::verb::get, "/", 11})),
      asio::use_future);
  started_future.wait();
  server.io.run(server.server().shutdown(std::chrono::seconds(30)));

  auto res = *response.get();
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->result_int(), 200);
  EXPECT_EQ(res->body(), "done");
  EXPECT_FALSE(res->keep_alive());  // told the client not to come back
  EXPECT_EQ(server.server().active_connections(), 0u);
  bool closed = false;
  idle.read_until_close(&closed);
  EXPECT_TRUE(closed);
  RawClient late(server.port());
  EXPECT_FALSE(late.connected());
}

TEST(ShutdownTest, ClosesRequestsThatOutlastTheDrain) {
  auto started = std::make_shared<std::promise<void>>();
  auto started_future = started->get_future();
  TestServer server(slow_handler(started, std::chrono::hours(1)));
  RawClient raw(server.port());
  ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  started_future.wait();
  server.io.run(server.server().shutdown(std::chrono::milliseconds(10)));
  EXPECT_EQ(server.server().active_connections(), 0u);
  bool closed = false;
  raw.read_until_close(&closed);
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace junction::http
