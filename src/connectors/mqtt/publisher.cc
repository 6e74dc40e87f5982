#include "connectors/mqtt/publisher.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "components/common/waker.h"
#include "fmt/format.h"

namespace junction::connectors::mqtt {
namespace {

using Clock = std::chrono::steady_clock;

// Errors from mosquitto_publish: what the flow should do with the message.
Error classify_publish(int rc, const std::string& topic) {
  std::string what = fmt::format("publish to '{}': {}", topic, mosquitto_strerror(rc));
  switch (rc) {
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_MALFORMED_UTF8:
    case MOSQ_ERR_QOS_NOT_SUPPORTED:
    case MOSQ_ERR_OVERSIZE_PACKET:
      return Error::invalid(what);
    case MOSQ_ERR_NOMEM:
      return Error::overloaded(what);
    default:
      return Error::transient(what);
  }
}

}  // namespace

// One publish() call: which of its messages are settled.
struct Publisher::Call {
  explicit Call(asio::any_io_executor ex, size_t n) : waker(ex), done(n, false) {}
  components::Waker waker;
  std::vector<bool> done;
  size_t outstanding = 0;
  bool connection_lost = false;
};

Status Publisher::init(ConnectionOptions connection, asio::any_io_executor ex, BlockingPool& pool) {
  auto s = Session::create(std::move(connection), ex, pool, metrics_, *this);
  if (!s) return std::move(s).error();
  session_ = std::move(s).value();
  return ok_status();
}

Status Publisher::send(const Publication& p, int& mid) {
  mosquitto_property* props = nullptr;
  int rc = MOSQ_ERR_SUCCESS;
  if (session_->options().mqtt5) {
    for (const auto& [k, v] : p.properties) {
      rc =
          mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, k.c_str(), v.c_str());
      if (rc != MOSQ_ERR_SUCCESS) break;
    }
  }
  if (rc == MOSQ_ERR_SUCCESS) {
    rc = mosquitto_publish_v5(session_->handle(), &mid, p.topic.c_str(),
                              static_cast<int>(p.payload.size()), p.payload.data(), o_.qos,
                              o_.retain, props);
  }
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) return classify_publish(rc, p.topic);
  return ok_status();
}

asio::awaitable<flow::WriteResult> Publisher::publish(std::span<const Publication> items) {
  const auto start = Clock::now();
  const auto deadline = start + o_.timeout;
  asio::any_io_executor ex = co_await asio::this_coro::executor;
  Call call(ex, items.size());
  calls_.push_back(&call);
  // Publishing while a reconnect runs on the blocking pool would race with
  // it inside libmosquitto: wait for the connection first.
  while (!session_->connected() && Clock::now() < deadline) {
    co_await call.waker.sleep_until(deadline);
  }
  Status failure = ok_status();
  size_t sent = 0;
  if (!session_->connected()) {
    failure = Error::transient(
        fmt::format("not connected to the MQTT broker {}", session_->options().address()));
  } else {
    for (; sent < items.size(); ++sent) {
      int mid = 0;
      Status st = send(items[sent], mid);
      if (!st) {
        failure = std::move(st);
        break;
      }
      in_flight_[mid] = {&call, sent};
      ++call.outstanding;
    }
    session_->kick();
    while (call.outstanding > 0 && !call.connection_lost && Clock::now() < deadline) {
      co_await call.waker.sleep_until(deadline);
    }
  }
  // Forget what is still out: a late PUBACK for it must not reach a call
  // that has returned.
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    it = it->second.first == &call ? in_flight_.erase(it) : std::next(it);
  }
  calls_.erase(std::find(calls_.begin(), calls_.end(), &call));

  const size_t written =
      static_cast<size_t>(std::find(call.done.begin(), call.done.end(), false) - call.done.begin());
  size_t bytes = 0;
  for (size_t i = 0; i < written; ++i) bytes += items[i].payload.size();
  if (written > 0) {
    metrics_.sent(written, bytes);
    metrics_.latency(std::chrono::duration_cast<Duration>(Clock::now() - start));
  }
  if (written == items.size()) co_return flow::WriteResult::all(written);
  if (failure.ok()) {
    failure = call.connection_lost
                  ? Error::transient("the MQTT connection was lost before the QoS 0 write")
                  : Error::transient(fmt::format(
                        "no PUBACK from {} within {} ms", session_->options().address(),
                        std::chrono::duration_cast<std::chrono::milliseconds>(o_.timeout).count()));
  }
  metrics_.error();
  co_return flow::WriteResult{written, std::move(failure)};
}

void Publisher::on_connected(bool /*session_present*/) {
  for (Call* c : calls_) c->waker.wake();
}

void Publisher::on_connection_lost() {
  // QoS 1 messages stay in libmosquitto and go out again after the
  // reconnect; QoS 0 ones not yet written are discarded with the connection.
  if (o_.qos > 0) return;
  for (Call* c : calls_) {
    c->connection_lost = true;
    c->waker.wake();
  }
}

void Publisher::on_published(int mid) {
  auto it = in_flight_.find(mid);
  if (it == in_flight_.end()) return;  // from a call that gave up
  auto [call, index] = it->second;
  in_flight_.erase(it);
  call->done[index] = true;
  --call->outstanding;
  call->waker.wake();
}

}  // namespace junction::connectors::mqtt
