#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connectors/amqp/address.h"
#include "connectors/amqp/session.h"
#include "connectors/amqp/settle.h"
#include "connectors/common/codec.h"
#include "connectors/common/connector_metrics.h"
#include "core/message.h"

namespace junction::connectors::amqp {

struct ConsumerOptions {
  std::string flow;
  Address address;
  SessionOptions session;
  std::string queue;
  uint16_t prefetch = 100;
  // Declare `queue` (durable) before consuming, with these dead-letter
  // arguments when set; otherwise the queue must exist. The empty exchange is
  // the default one, which routes by queue name.
  bool declare = false;
  std::optional<std::string> dead_letter_exchange;
  std::string dead_letter_routing_key;
  // A transient failure is nacked (requeued) after this long, so a message
  // that keeps failing does not spin between broker and flow.
  Duration requeue_delay = std::chrono::seconds(1);
  Duration reconnect_max = std::chrono::seconds(5);
  Codec codec = Codec::json();
};

// A delivery waiting for, or held by, the flow. Its tag is only meaningful
// on the connection it came from: `generation` names that connection.
struct Delivery {
  uint64_t generation;
  uint64_t tag;
  Message message;
};

// The thread that owns one AMQP connection and consumes a queue on it.
//
// librabbitmq is blocking and not thread-safe, so every AMQP call happens
// here. The flow's side takes deliveries with take() and settles them with
// settle() from any thread; both only touch the hand-off queues under a
// mutex, and settle() wakes this thread through an eventfd it polls with the
// socket. The hand-off is bounded by `prefetch`: the broker sends no more
// unacked deliveries than that.
//
// When the connection drops, the broker requeues every unacked delivery.
// Deliveries of the lost connection that the flow had not taken yet are
// dropped here, and settlements that arrive for them later are ignored: their
// tags would name other deliveries (or none) on the next connection.
class Consumer {
 public:
  // `on_ready` runs on this thread when deliveries become available.
  Consumer(ConsumerOptions o, ConnectorMetrics& metrics, std::function<void()> on_ready);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  Status start();
  // Up to `max` deliveries, oldest first.
  std::vector<Delivery> take(size_t max);
  // Any thread. Ignored after stop() or for an old connection's delivery.
  void settle(uint64_t generation, uint64_t tag, Settle how);
  // Any thread: the thread applies what was settled, closes the connection
  // (the broker requeues what is still unacked) and ends.
  void stop();
  // Blocks until the thread ended: call it on a blocking pool.
  void join();

 private:
  struct Settlement {
    uint64_t generation;
    uint64_t tag;
    Settle how;
  };
  using Clock = std::chrono::steady_clock;

  void run();
  Status setup(Session& s);
  Status consume(Session& s, uint64_t generation);
  Status apply_settlements(Session& s, uint64_t generation);
  Status handle_other_frame(Session& s);
  void handle_delivery(Session& s, uint64_t generation, const amqp_envelope_t& env);
  // Forgets the lost connection's deliveries and settlements.
  void next_generation();
  // Waits for the socket (fd >= 0) or a wake-up, at most `timeout`.
  void wait(int fd, Duration timeout);
  void wake();
  bool stopping();

  ConsumerOptions o_;
  ConnectorMetrics& metrics_;
  std::function<void()> on_ready_;
  int wake_fd_ = -1;
  std::thread thread_;

  std::mutex mu_;
  bool stop_ = false;
  uint64_t generation_ = 1;
  std::deque<Delivery> ready_;
  std::vector<Settlement> settlements_;

  // This thread only: transient failures waiting for their requeue.
  std::multimap<Clock::time_point, uint64_t> requeues_;
};

}  // namespace junction::connectors::amqp
