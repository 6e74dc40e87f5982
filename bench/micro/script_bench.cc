// Cost per message of the Lua steps of a pipeline: decode, run, encode.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/message.h"
#include "script/engine.h"

namespace junction {
namespace {

constexpr const char* kOrder = R"({"order_id": 12345, "qty": 3, "price": 250, "sku": "A-100"})";

void BM_MapThenFilter(benchmark::State& state) {
  auto engine = script::Engine::create().value();
  int map = engine->compile_map("out.total = msg.qty * msg.price", "map").value();
  int filter = engine->compile_expression("msg.total > 1000", "filter").value();
  Buffer payload(kOrder);
  for (auto _ : state) {
    Message m;
    m.payload = payload;
    auto kept = engine->run_map(map, m);
    auto pass = engine->eval_bool(filter, m);
    benchmark::DoNotOptimize(kept);
    benchmark::DoNotOptimize(pass);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MapThenFilter);

void BM_MapThenFilterFused(benchmark::State& state) {
  auto engine = script::Engine::create().value();
  std::vector<script::Engine::Step> steps = {
      {engine->compile_map("out.total = msg.qty * msg.price", "map").value(), false},
      {engine->compile_expression("msg.total > 1000", "filter").value(), true}};
  Buffer payload(kOrder);
  for (auto _ : state) {
    Message m;
    m.payload = payload;
    auto kept = engine->run_chain(steps, m);
    benchmark::DoNotOptimize(kept);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MapThenFilterFused);

void BM_FilterOnly(benchmark::State& state) {
  auto engine = script::Engine::create().value();
  int filter = engine->compile_expression("msg.qty * msg.price > 1000", "filter").value();
  Message m;
  m.payload = Buffer(kOrder);
  for (auto _ : state) {
    auto pass = engine->eval_bool(filter, m);
    benchmark::DoNotOptimize(pass);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FilterOnly);

}  // namespace
}  // namespace junction
