#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/amqp/address.h"
#include "connectors/amqp/properties.h"
#include "connectors/amqp/session.h"
#include "connectors/common/connector_metrics.h"
#include "flow/component.h"
#include "resilience/backoff.h"

namespace junction::connectors::amqp {

struct PublisherOptions {
  std::string flow;
  Address address;
  SessionOptions session;
  std::string exchange;
  bool mandatory = true;
  Duration confirm_timeout = std::chrono::seconds(30);
  Duration reconnect_max = std::chrono::seconds(5);
};

// One message ready to publish: encoded on the flow's executor.
struct Outgoing {
  Outgoing(const Message& m, std::string body, std::string routing_key,
           std::string_view content_type, bool persistent)
      : body(std::move(body)),
        routing_key(std::move(routing_key)),
        properties(m, content_type, persistent) {}
  std::string body;
  std::string routing_key;
  OutgoingProperties properties;
};

// A batch handed to the publisher's thread. `done` runs on that thread once
// `result` is set.
struct PublishJob {
  std::vector<std::unique_ptr<Outgoing>> messages;
  flow::WriteResult result;
  std::function<void()> done;
};

// The thread that owns one AMQP connection in confirm mode and publishes on
// it. librabbitmq is blocking and not thread-safe, so every AMQP call happens
// here; the flow's writers hand it jobs (at most one per concurrent write()).
// A job is written only once the broker acked each publish (publisher
// confirms); see ConfirmTracker for nacks and returns.
//
// While the connection is down the thread reconnects with backoff, and jobs
// fail at once as transient (the flow retries them), after one immediate
// connect attempt.
class Publisher {
 public:
  Publisher(PublisherOptions o, ConnectorMetrics& metrics);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  void start();
  void submit(std::shared_ptr<PublishJob> job);
  void stop();
  // Blocks until the thread ended: call it on a blocking pool.
  void join();

 private:
  void run();
  // Hands the job's result back to its writer.
  static void finish(std::shared_ptr<PublishJob> job);
  void connect();
  void disconnect(const Error& why);
  flow::WriteResult publish(PublishJob& job);
  // Reads frames that arrived while idle: heartbeats, a broker close.
  void pump();

  PublisherOptions o_;
  ConnectorMetrics& metrics_;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<std::shared_ptr<PublishJob>> jobs_;

  // This thread only.
  std::unique_ptr<Session> session_;
  uint64_t next_tag_ = 1;  // the broker's number for the session's next publish
  resilience::Backoff backoff_;
  int failures_ = 0;
  std::chrono::steady_clock::time_point next_attempt_;
  std::string down_reason_ = "not connected yet";
};

}  // namespace junction::connectors::amqp
