#include "core/executor.h"

namespace junction {

IoThreads::IoThreads(size_t count) {
  if (count == 0) count = 1;
  for (size_t i = 0; i < count; ++i) {
    // Concurrency hint 1: each context is driven by exactly one thread, so
    // Asio can skip internal locking.
    contexts_.push_back(std::make_unique<asio::io_context>(1));
  }
}

IoThreads::~IoThreads() {
  abort();
}

void IoThreads::start() {
  for (auto& ctx : contexts_) {
    guards_.emplace_back(asio::make_work_guard(*ctx));
    threads_.emplace_back([c = ctx.get()] { c->run(); });
  }
}

void IoThreads::stop_and_join() {
  guards_.clear();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void IoThreads::abort() {
  guards_.clear();
  for (auto& ctx : contexts_) ctx->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace junction
