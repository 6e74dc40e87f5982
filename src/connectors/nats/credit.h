#pragma once

#include <condition_variable>
#include <mutex>

namespace junction::connectors::nats {

// The input's bound on messages fetched and not yet settled (max_in_flight),
// shared by the fetch thread, which takes credit before each pull request,
// and the settler, which gives it back.
//
// take() waits for room for a whole batch, not for any room at all: woken
// by every settled message, the fetcher would otherwise pull one message at
// a time once the bound is reached, and every stage behind it (the hop to
// the flow, the output's publication, the settlement) would run per message
// instead of per batch.
class InFlightCredit {
 public:
  InFlightCredit(int max_in_flight, int batch);

  // Up to a batch of credit, once that much is free; 0 once stopped.
  int take();
  void give_back(int n);
  // Wakes take() and wait_stopped_for() for good.
  void stop();
  bool stopped();
  // Sleeps up to `d`, or less when stopped; true when stopped.
  template <class Duration>
  bool wait_stopped_for(Duration d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [this] { return stopped_; });
  }
  int in_flight();

 private:
  const int max_;
  const int batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  bool stopped_ = false;
};

}  // namespace junction::connectors::nats
