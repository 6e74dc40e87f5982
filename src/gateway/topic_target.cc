#include "gateway/topic_target.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "core/message.h"
#include "log/store.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

log::Record to_record(const http::Request& req, const http::RequestInfo& info,
                      std::string_view consumer, const std::string& key_header,
                      const std::string& id) {
  log::Record r;
  r.timestamp_ms = now_ms();
  r.value = req.body();
  if (!key_header.empty()) {
    if (auto it = req.find(key_header); it != req.end()) r.key = std::string(sv(it->value()));
  }
  r.headers.push_back({"x-junction-id", id});
  r.headers.push_back({"x-request-id", info.request_id});
  if (auto it = req.find(bhttp::field::content_type); it != req.end()) {
    r.headers.push_back({"content-type", std::string(sv(it->value()))});
  }
  r.headers.push_back({"x-junction-http-method", std::string(sv(req.method_string()))});
  std::string_view target = sv(req.target());
  r.headers.push_back({"x-junction-http-path", std::string(target.substr(0, target.find('?')))});
  if (!consumer.empty()) r.headers.push_back({"x-junction-consumer", std::string(consumer)});
  return r;
}

}  // namespace

Result<TopicTarget> TopicTarget::create(log::Store& store, const spec::TopicTargetSpec& spec) {
  log::Topic* topic = store.find_topic(spec.topic);
  if (!topic) return Error::invalid("topic '" + spec.topic + "' is not open in the embedded log");
  return TopicTarget(store, *topic, spec);
}

asio::awaitable<Result<Published>> TopicTarget::publish(const http::Request& req,
                                                        const http::RequestInfo& info,
                                                        std::string_view consumer) const {
  const std::string id = new_message_id();
  // Choosing the partition here (the log would do the same) lets the answer
  // name it; AppendResult carries only offsets.
  log::Record record = to_record(req, info, consumer, spec_.key_header, id);
  const int32_t partition = topic_->choose_partition(
      record.key ? std::optional<std::string_view>(*record.key) : std::nullopt);
  log::Store* store = store_;
  log::Topic* topic = topic_;
  auto init = [store, topic, partition, &record](auto handler) {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    // The journal calls back on its thread, or at once on overload: either
    // way the coroutine resumes on its own executor.
    store->produce(*topic, partition, std::span<const log::Record>(&record, 1),
                   [h](Result<log::AppendResult> r) {
                     auto ex = asio::get_associated_executor(*h);
                     asio::post(ex,
                                [h, r = std::move(r)]() mutable { std::move (*h)(std::move(r)); });
                   });
  };
  Result<log::AppendResult> appended =
      co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<log::AppendResult>)>(
          init, asio::use_awaitable);
  if (!appended) co_return appended.error();
  co_return Published{id, partition, appended->base_offset};
}

}  // namespace junction::gateway
