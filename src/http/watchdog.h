#pragma once

// Time limits for sockets without a timer operation per read or write.
//
// Beast's tcp_stream arms a timer before every read and write and cancels it
// after: clock reads, two timer-queue updates and a handler each time, about
// 8% of a proxied GET's CPU (perf against bench/gateway). Here a time limit
// is a field. Each io_context has one sweep that wakes every 100 ms while
// it watches sockets and closes those whose limit has passed, as Beast's
// timeout does, so the pending operation fails. A limit is kept to within
// one sweep: late by up to 100 ms, never early.
//
// A watched socket must belong to an io_context that one thread runs (all
// of Junction's do): the sweep closes it from that thread.

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>

namespace junction::http::detail {

class WatchdogService;

class Watch {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Watch(boost::asio::ip::tcp::socket& socket);
  ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // The socket is closed once the limit passes, unless it is set again first.
  void expires_after(Clock::duration limit);
  void expires_at(Clock::time_point deadline);
  void expires_never() { deadline_ = Clock::time_point::max(); }

  // Whether the watch closed the socket: the operation it cut short failed
  // with operation_aborted or bad_descriptor.
  bool fired() const { return fired_; }
  // `ec`, named beast::error::timeout when the watch caused it.
  boost::system::error_code cause(boost::system::error_code ec) const;

 private:
  friend class WatchdogService;

  WatchdogService& service_;
  boost::asio::ip::tcp::socket& socket_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool fired_ = false;
  Watch* prev_ = nullptr;
  Watch* next_ = nullptr;
};

}  // namespace junction::http::detail
