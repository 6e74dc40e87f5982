#include "components/outputs/drop/drop.h"

namespace junction::components {
namespace {

// Accepts and discards everything: the sink for benchmarks and for flows
// whose only purpose is their side effects.
class DropOutput final : public flow::Output {
 public:
  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    co_return flow::WriteResult::all(batch.size());
  }
};

}  // namespace

void register_drop_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "drop";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Accepts and discards every message (benchmarks, side-effect-only flows).";
  info.make_output = [](const spec::Config&,
                        flow::ComponentContext&) -> Result<std::unique_ptr<flow::Output>> {
    return std::unique_ptr<flow::Output>(std::make_unique<DropOutput>());
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
