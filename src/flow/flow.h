#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "flow/component.h"
#include "spec/spec.h"

namespace junction::observe {
class Registry;
}

namespace junction::flow {

struct FlowStep {
  std::string name;  // "pipeline[1].map"
  std::unique_ptr<Processor> processor;
};

struct FlowSink {
  std::string name;  // the output's name in the spec
  std::unique_ptr<Output> output;
};

struct FlowParts {
  std::string name;
  std::unique_ptr<Input> input;
  std::vector<FlowStep> steps;
  std::vector<FlowSink> sinks;
  std::unique_ptr<Output> dead_letter;  // may be null
  spec::RetrySpec retry;
  int max_in_flight = 1;
  int queue_depth = 64;
};

// A running flow: one input -> ordered processors -> one or more outputs.
//
// The input and the pipeline workers are coroutines on one executor, joined
// by a bounded channel of batches, so a slow output fills the channel and
// suspends the input's emit(): memory stays bounded. A message's ack is
// settled only once every output it is routed to took it, or it was
// dead-lettered (at-least-once).
class Flow {
 public:
  Flow(FlowParts parts, asio::any_io_executor executor, observe::Registry& metrics);
  ~Flow();
  Flow(const Flow&) = delete;
  Flow& operator=(const Flow&) = delete;

  const std::string& name() const;

  // Opens every component, runs until the input ends or stop() is asked,
  // drains what is in flight, flushes batching processors, closes all.
  asio::awaitable<Status> run();
  // Thread-safe: asks the input to stop; in-flight messages still drain.
  void stop();
  // Thread-safe: what the flow is doing ("running", "closing output orders",
  // ...), so that a stop that overran its deadline can say where it hung.
  std::string phase() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace junction::flow
