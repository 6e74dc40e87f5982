#include "core/executor.h"

#include <latch>

#include "core/cpu_affinity.h"

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

std::vector<std::string> IoThreads::start(const std::vector<int>& cpus) {
  std::vector<std::string> errors(contexts_.size());
  std::latch pinned(static_cast<std::ptrdiff_t>(contexts_.size()));
  for (size_t i = 0; i < contexts_.size(); ++i) {
    guards_.emplace_back(asio::make_work_guard(*contexts_[i]));
    int cpu = i < cpus.size() ? cpus[i] : -1;
    threads_.emplace_back([c = contexts_[i].get(), cpu, &error = errors[i], &pinned] {
      if (cpu >= 0) {
        if (Status s = cpu::pin_this_thread(cpu); !s.ok()) error = s.error().message();
      }
      pinned.count_down();
      c->run();
    });
  }
  pinned.wait();
  std::erase(errors, std::string());
  return errors;
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
