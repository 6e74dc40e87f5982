#pragma once

// Shared by the file/stdin input and file/stdout output tests: an io_context
// driven from the test thread, a collecting Emitter, temporary directories.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/executor.h"
#include "flow/component.h"
#include "flow/registry.h"
#include "spec/node.h"
#include "spec/schema.h"
#include "unit/common/temp_dir.h"

namespace junction::components::test {

// Takes every batch at once, keeps the messages (and so their acks) for the
// test to settle.
class CollectingEmitter final : public flow::Emitter {
 public:
  asio::awaitable<Status> emit(MessageBatch batch) override {
    batch_sizes.push_back(batch.size());
    for (auto& m : batch) messages.push_back(std::move(m));
    co_return ok_status();
  }
  bool stopping() const override { return false; }

  std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.payload.str());
    return out;
  }
  std::string header(size_t i, std::string_view name) const {
    auto v = messages.at(i).headers.get(name);
    return v ? std::string(*v) : std::string();
  }

  std::vector<Message> messages;
  std::vector<size_t> batch_sizes;
};

using junction::test::TempDir;

inline void write_file(const std::filesystem::path& p, const std::string& text,
                       bool append = false) {
  std::ofstream f(p, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  f << text;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// An io_context run from the test thread, with a blocking pool.
class IoHarness {
 public:
  IoHarness() : guard_(asio::make_work_guard(io)) {
    ctx.executor = io.get_executor();
    ctx.blocking = &pool;
    ctx.flow = "test-flow";
  }

  // Runs handlers until `done()` or a generous limit; false on the limit.
  template <class Pred>
  bool run_until(Pred done, std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.run_one_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  // Lets already-queued handlers (posted acks) run.
  void drain(std::chrono::milliseconds d = std::chrono::milliseconds(50)) {
    auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline)
      io.run_one_for(std::chrono::milliseconds(5));
  }

  template <class T>
  T await(asio::awaitable<T> a) {
    std::optional<T> result;
    asio::co_spawn(io, std::move(a),
                   [&](std::exception_ptr, T v) { result.emplace(std::move(v)); });
    EXPECT_TRUE(run_until([&] { return result.has_value(); }));
    return std::move(*result);
  }
  void await(asio::awaitable<void> a) {
    bool done = false;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr) { done = true; });
    EXPECT_TRUE(run_until([&] { return done; }));
  }

  // Builds a component from YAML through the registry, as the spec does.
  template <class T>
  Result<std::unique_ptr<T>> build(const flow::ComponentRegistry& registry,
                                   spec::ComponentKind kind, const std::string& name,
                                   const std::string& yaml) {
    spec::Diagnostics diags;
    auto node = spec::Node::parse(yaml, "test.yaml", diags);
    if (!node) return Error::invalid(diags.format());
    const auto* info = registry.find(kind, name);
    if (!info) return Error::invalid("not registered: " + name);
    spec::ComponentSpec c;
    c.kind = kind;
    c.type = name;
    c.config = spec::Config::bind(info->schema, *node, diags);
    if (!diags.ok()) return Error::invalid(diags.format());
    if constexpr (std::is_same_v<T, flow::Input>) {
      return registry.make_input(c, ctx);
    } else if constexpr (std::is_same_v<T, flow::Processor>) {
      return registry.make_processor(c, ctx);
    } else {
      return registry.make_output(c, ctx);
    }
  }

  // Destroyed last: acks posted back to `io` must find it alive.
  asio::io_context io;
  BlockingPool pool{2};
  flow::ComponentContext ctx;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
};

// run() of an input, spawned; `done` once it returned.
struct RunningInput {
  bool done = false;
  std::optional<Status> status;
};

inline std::shared_ptr<RunningInput> start_run(asio::io_context& io, flow::Input& input,
                                               flow::Emitter& emitter) {
  auto r = std::make_shared<RunningInput>();
  asio::co_spawn(
      io,
      [&input, &emitter, r]() -> asio::awaitable<void> {
        r->status = co_await input.run(emitter);
        r->done = true;
      },
      [](std::exception_ptr) {});
  return r;
}

}  // namespace junction::components::test
