#include "connectors/redis/connection.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <memory>

namespace junction::connectors::redis {
namespace {

timeval to_timeval(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

}  // namespace

Connection::~Connection() {
  disconnect();
}

void Connection::disconnect() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

Status Connection::set_read_timeout(Duration d) {
  if (d == read_timeout_) return ok_status();
  if (redisSetTimeout(ctx_, to_timeval(d)) != REDIS_OK) {
    return transport_error(
        fmt::format("{}: setting the timeout: {}", endpoint_.display(), ctx_->errstr));
  }
  read_timeout_ = d;
  return ok_status();
}

Status Connection::dial() {
  ctx_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                 to_timeval(endpoint_.connect_timeout));
  if (!ctx_ || ctx_->err) {
    std::string why = ctx_ ? ctx_->errstr : "out of memory";
    disconnect();
    return transport_error(fmt::format("connecting to {}: {}", endpoint_.display(), why));
  }
  read_timeout_ = {};
  if (auto s = set_read_timeout(endpoint_.connect_timeout); !s) {
    disconnect();
    return s;
  }
  (void)redisEnableKeepAlive(ctx_);
  // Login and database first, one command at a time: a failure here is the
  // endpoint's, and its class (a wrong password is unauthorized) is kept.
  std::vector<Command> hello;
  if (!endpoint_.password.empty()) {
    if (endpoint_.username.empty()) {
      hello.push_back({"AUTH", endpoint_.password});
    } else {
      hello.push_back({"AUTH", endpoint_.username, endpoint_.password});
    }
  }
  if (endpoint_.db != 0) hello.push_back({"SELECT", std::to_string(endpoint_.db)});
  if (hello.empty()) return ok_status();
  for (const auto& cmd : hello) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!reply) {
      std::string why = ctx_->errstr;
      disconnect();
      return transport_error(fmt::format("login to {}: {}", endpoint_.display(), why));
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      Error e = classify_error_reply(std::string_view(reply->str, reply->len));
      disconnect();
      return e.wrap(fmt::format("{} {}", cmd[0], endpoint_.display()));
    }
  }
  return ok_status();
}

PipelineResult Connection::run(const std::vector<Command>& commands, Duration extra_wait) {
  PipelineResult result;
  if (!ctx_) {
    if (auto s = dial(); !s) {
      result.transport = std::move(s);
      return result;
    }
  }
  if (auto s = set_read_timeout(endpoint_.io_timeout + extra_wait); !s) {
    disconnect();
    result.transport = std::move(s);
    return result;
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      result.transport = transport_error(fmt::format("{}: {}", endpoint_.display(), ctx_->errstr));
      disconnect();
      return result;
    }
  }
  result.replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
      result.transport = transport_error(
          fmt::format("{}: {}", endpoint_.display(), ctx_->err ? ctx_->errstr : "no reply"));
      disconnect();
      return result;
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    result.replies.push_back(Reply::from(*reply));
  }
  return result;
}

}  // namespace junction::connectors::redis
