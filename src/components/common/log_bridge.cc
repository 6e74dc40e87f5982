#include "components/common/log_bridge.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <memory>
#include <mutex>

namespace junction::components {
namespace asio = boost::asio;
namespace json = boost::json;

log::Record to_record(const Message& m) {
  log::Record r;
  r.timestamp_ms = m.timestamp_ms ? m.timestamp_ms : now_ms();
  if (!m.key.empty()) r.key = m.key;
  r.value = m.payload.str();
  r.headers.reserve(m.headers.size() + 1);
  bool has_id = false;
  for (const auto& [name, value] : m.headers) {
    has_id = has_id || iequals(name, kMessageIdHeader);
    r.headers.push_back({name, value});
  }
  if (!has_id && !m.id.empty()) r.headers.push_back({std::string(kMessageIdHeader), m.id});
  return r;
}

Message to_message(const log::Delivery& d) {
  Message m;
  const auto& r = d.record;
  m.payload = Buffer(r.value.value_or(std::string()));
  if (r.key) m.key = *r.key;
  m.timestamp_ms = r.timestamp_ms;
  for (const auto& h : r.headers) {
    if (iequals(h.key, kMessageIdHeader)) {
      m.id = h.value.value_or("");
      continue;
    }
    m.headers.add(h.key, h.value.value_or(""));
  }
  m.headers.set("x-junction-topic-partition", std::to_string(d.partition));
  m.headers.set("x-junction-topic-offset", std::to_string(r.offset));
  return m;
}

std::optional<std::string> json_field(std::string_view payload, std::string_view path) {
  boost::system::error_code ec;
  json::value doc = json::parse(payload, ec);
  if (ec) return std::nullopt;
  const json::value* at = &doc;
  while (!path.empty()) {
    const auto dot = path.find('.');
    const auto name = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    const auto* obj = at->if_object();
    if (!obj) return std::nullopt;
    at = obj->if_contains(name);
    if (!at) return std::nullopt;
  }
  if (at->is_string()) return std::string(at->as_string());
  if (at->is_null()) return std::nullopt;
  return json::serialize(*at);
}

asio::awaitable<std::vector<Result<log::AppendResult>>> produce_all(
    log::Store& store, log::Topic& topic, std::vector<PartitionRecords> groups) {
  using Results = std::vector<Result<log::AppendResult>>;
  auto init = [&store, &topic, &groups](auto handler) {
    struct State {
      std::mutex mu;
      Results results;
      size_t left;
      decltype(handler) h;
      State(size_t n, decltype(handler) hh)
          : results(n, Result<log::AppendResult>(Error::transient("not written"))),
            left(n),
            h(std::move(hh)) {}
    };
    auto state = std::make_shared<State>(groups.size(), std::move(handler));
    if (groups.empty()) {
      auto ex = asio::get_associated_executor(state->h);
      asio::post(ex, [state] { std::move(state->h)(std::move(state->results)); });
      return;
    }
    for (size_t i = 0; i < groups.size(); ++i) {
      store.produce(topic, groups[i].partition, groups[i].records,
                    [state, i](Result<log::AppendResult> r) {
                      bool last = false;
                      {
                        std::lock_guard lock(state->mu);
                        state->results[i] = std::move(r);
                        last = --state->left == 0;
                      }
                      if (!last) return;
                      // Back to the awaiting coroutine's executor, off the journal thread.
                      auto ex = asio::get_associated_executor(state->h);
                      asio::post(ex, [state] { std::move(state->h)(std::move(state->results)); });
                    });
    }
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Results)>(
      std::move(init), asio::use_awaitable);
}

}  // namespace junction::components
