// Overhead of the flow runtime itself: batches through the channel, acks,
// metrics, into an output that takes everything.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "flow/flow.h"
#include "observe/metrics.h"

namespace junction::flow {
namespace {

class CountedInput : public Input {
 public:
  CountedInput(int64_t total, size_t batch) : total_(total), batch_(batch) {}
  asio::awaitable<Status> run(Emitter& emitter) override {
    Buffer payload(std::string(64, 'x'));
    for (int64_t made = 0; made < total_;) {
      MessageBatch b;
      b.reserve(batch_);
      for (size_t i = 0; i < batch_ && made < total_; ++i, ++made) {
        Message m;
        m.payload = payload;
        m.ack = Ack([](Status) {});
        b.push_back(std::move(m));
      }
      if (!(co_await emitter.emit(std::move(b))).ok()) break;
    }
    co_return ok_status();
  }

 private:
  int64_t total_;
  size_t batch_;
};

class TakeAll : public Output {
 public:
  asio::awaitable<WriteResult> write(std::span<const Message> batch) override {
    co_return WriteResult::all(batch.size());
  }
};

void BM_FlowPassThrough(benchmark::State& state) {
  const int64_t n = 1'000'000;
  for (auto _ : state) {
    asio::io_context io(1);
    observe::Registry metrics;
    FlowParts p;
    p.name = "bench";
    p.input = std::make_unique<CountedInput>(n, static_cast<size_t>(state.range(0)));
    p.sinks.push_back({"out", std::make_unique<TakeAll>()});
    Flow flow(std::move(p), io.get_executor(), metrics);
    asio::co_spawn(io, flow.run(), [](std::exception_ptr, Status) {});
    io.run();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_FlowPassThrough)->Arg(1)->Arg(64)->Arg(1024)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace junction::flow
