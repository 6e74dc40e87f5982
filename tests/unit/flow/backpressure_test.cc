#include <gtest/gtest.h>

#include "flow/flow.h"
#include "flow_test_support.h"

namespace junction::flow {
namespace {

using namespace std::chrono_literals;

// An endless, fast input: counts messages emitted but not yet settled.
class FloodInput : public Input {
 public:
  FloodInput(size_t batch, size_t& live, size_t& max_live)
      : batch_(batch), live_(live), max_live_(max_live) {}

  asio::awaitable<Status> run(Emitter& emitter) override {
    while (!emitter.stopping()) {
      MessageBatch b;
      for (size_t i = 0; i < batch_; ++i) {
        Message m;
        m.payload = Buffer(std::string(1024, 'x'));
        m.ack = Ack([this](Status) { --live_; });
        b.push_back(std::move(m));
      }
      live_ += batch_;
      max_live_ = std::max(max_live_, live_);
      Status s = co_await emitter.emit(std::move(b));
      if (!s.ok()) break;
    }
    co_return ok_status();
  }

 private:
  size_t batch_;
  size_t& live_;
  size_t& max_live_;
};

// Takes one batch per millisecond: far slower than the input.
class SlowOutput : public Output {
 public:
  explicit SlowOutput(size_t& writes) : writes_(writes) {}
  asio::awaitable<WriteResult> write(std::span<const Message> batch) override {
    asio::steady_timer t(co_await asio::this_coro::executor, 1ms);
    co_await t.async_wait(asio::use_awaitable);
    ++writes_;
    co_return WriteResult::all(batch.size());
  }

 private:
  size_t& writes_;
};

TEST(BackpressureTest, FastInputIntoSlowOutputStaysWithinTheQueueBound) {
  size_t live = 0, max_live = 0, writes = 0;
  constexpr size_t kBatch = 10;
  constexpr int kDepth = 4;
  constexpr int kWorkers = 2;
  FlowParts p;
  p.name = "flood";
  p.queue_depth = kDepth;
  p.max_in_flight = kWorkers;
  p.input = std::make_unique<FloodInput>(kBatch, live, max_live);
  p.sinks.push_back({"slow", std::make_unique<SlowOutput>(writes)});

  asio::io_context io;
  observe::Registry metrics;
  Flow flow(std::move(p), io.get_executor(), metrics);
  std::optional<Status> result;
  asio::co_spawn(io, flow.run(), [&](std::exception_ptr, Status s) { result = std::move(s); });
  // Let the output take 200 batches; every one of them is a chance for the
  // input to run ahead if nothing held it back.
  while (writes < 200 && !result) io.run_one();
  flow.stop();
  io.run();

  ASSERT_TRUE(result && result->ok());
  // Queued batches + one being emitted + one per worker: nothing more may be
  // alive at once, however fast the input is.
  const size_t bound = (kDepth + 1 + kWorkers) * kBatch;
  EXPECT_LE(max_live, bound);
  EXPECT_GE(writes, 200u);
  EXPECT_EQ(live, 0u);  // after the drain every emitted message was settled
}

}  // namespace
}  // namespace junction::flow
