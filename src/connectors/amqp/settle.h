#pragma once

#include "core/error.h"

namespace junction::connectors::amqp {

// What the input tells the broker once the flow settled a delivery.
enum class Settle {
  kAck,         // basic.ack: done
  kRequeue,     // basic.nack requeue=true: a transient failure, try again
  kDeadLetter,  // basic.reject requeue=false: the queue's dead-letter exchange
};

// Retrying helps only transient and overloaded failures; anything else would
// fail again, so it goes to the dead-letter exchange instead of looping.
inline Settle settle_for(const Status& s) {
  if (s.ok()) return Settle::kAck;
  return s.error().retryable() ? Settle::kRequeue : Settle::kDeadLetter;
}

}  // namespace junction::connectors::amqp
