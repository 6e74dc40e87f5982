#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow/flow.h"
#include "observe/metrics.h"

namespace junction::flow::testing {

// What happened to every message an input emitted, by payload.
struct AckLog {
  std::map<std::string, Status> settled;
  int settle_calls = 0;
};

inline Message make_message(const std::string& payload, AckLog& log) {
  Message m;
  m.payload = Buffer(payload);
  m.ack = Ack([&log, payload](Status s) {
    ++log.settle_calls;
    log.settled.insert_or_assign(payload, std::move(s));
  });
  return m;
}

// Emits the given payloads in batches of `batch`, then ends.
class ListInput : public Input {
 public:
  ListInput(std::vector<std::string> payloads, AckLog& log, size_t batch = 1)
      : payloads_(std::move(payloads)), log_(log), batch_(batch) {}

  asio::awaitable<Status> run(Emitter& emitter) override {
    for (size_t i = 0; i < payloads_.size() && !emitter.stopping();) {
      MessageBatch b;
      for (size_t k = 0; k < batch_ && i < payloads_.size(); ++k, ++i) {
        b.push_back(make_message(payloads_[i], log_));
      }
      ++emitted_batches;
      Status s = co_await emitter.emit(std::move(b));
      if (!s.ok()) break;
    }
    co_return ok_status();
  }
  size_t emitted_batches = 0;

 private:
  std::vector<std::string> payloads_;
  AckLog& log_;
  size_t batch_;
};

// What a RecordingOutput was given; outlives the flow that owned the output.
struct Recorded {
  // Each call pops the next planned result; when none is left, accepts all.
  std::deque<std::function<WriteResult(size_t n)>> plan;
  std::vector<std::string> written;
  std::vector<std::map<std::string, std::string>> headers;
  int calls = 0;
};

class RecordingOutput : public Output {
 public:
  explicit RecordingOutput(std::shared_ptr<Recorded> rec) : rec_(std::move(rec)) {}

  asio::awaitable<WriteResult> write(std::span<const Message> batch) override {
    ++rec_->calls;
    WriteResult r = WriteResult::all(batch.size());
    if (!rec_->plan.empty()) {
      r = rec_->plan.front()(batch.size());
      rec_->plan.pop_front();
    }
    for (size_t i = 0; i < r.written && i < batch.size(); ++i) {
      rec_->written.push_back(batch[i].payload.str());
      std::map<std::string, std::string> h;
      for (const auto& [k, v] : batch[i].headers) h[k] = v;
      rec_->headers.push_back(std::move(h));
    }
    co_return r;
  }

 private:
  std::shared_ptr<Recorded> rec_;
};

inline std::function<WriteResult(size_t)> fail_with(Error e, size_t written = 0) {
  return [e, written](size_t) { return WriteResult{written, Status(e)}; };
}

// Runs a flow to completion on a fresh io_context.
inline Status run_flow(FlowParts parts, observe::Registry& metrics,
                       std::function<void(Flow&)> during = nullptr) {
  asio::io_context io;
  Flow flow(std::move(parts), io.get_executor(), metrics);
  std::optional<Status> result;
  asio::co_spawn(io, flow.run(), [&](std::exception_ptr, Status s) { result = std::move(s); });
  if (during) during(flow);
  io.run();
  return result ? *result : Status(Error::permanent("flow did not finish"));
}

}  // namespace junction::flow::testing
