#include "app/topics_api.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <map>

#include "app/api_response.h"
#include "app/group_members_api.h"
#include "components/common/log_bridge.h"
#include "core/message.h"
#include "fmt/format.h"
#include "log/group_json.h"
#include "log/record_json.h"

namespace junction::app {
namespace {

namespace json = boost::json;
namespace beast_http = boost::beast::http;
using Response = http::Response;

constexpr size_t kMaxRecordsPerRead = 1000;
constexpr auto kMaxWait = std::chrono::seconds(30);

Result<log::Record> record_from_json(const json::value& v) {
  const auto* o = v.if_object();
  if (!o) return Error::invalid("each record must be a JSON object with a value");
  log::Record r;
  r.timestamp_ms = now_ms();
  for (const auto& [name, field] : *o) {
    if (name == "value") {
      r.value = field.is_string() ? std::string(field.as_string())
                : field.is_null() ? std::optional<std::string>()
                                  : std::optional<std::string>(json::serialize(field));
    } else if (name == "key") {
      if (!field.is_string()) return Error::invalid("key must be a string");
      r.key = std::string(field.as_string());
    } else if (name == "headers") {
      const auto* h = field.if_object();
      if (!h) return Error::invalid("headers must be an object of strings");
      for (const auto& [hn, hv] : *h) {
        if (!hv.is_string()) return Error::invalid("headers must be an object of strings");
        r.headers.push_back({std::string(hn), std::string(hv.as_string())});
      }
    } else if (name != "partition") {
      return Error::invalid(fmt::format(
          "unknown record field '{}': use key, value, headers, partition", std::string_view(name)));
    }
  }
  r.headers.push_back({std::string(components::kMessageIdHeader), new_message_id()});
  return r;
}

std::optional<int64_t> int_param(const boost::urls::url_view& url, std::string_view name) {
  auto it = url.params().find(name);
  if (it == url.params().end()) return std::nullopt;
  try {
    size_t used = 0;
    const std::string text((*it).value);
    const long long v = std::stoll(text, &used);
    if (used != text.size() || v < 0) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

std::string str_param(const boost::urls::url_view& url, std::string_view name) {
  auto it = url.params().find(name);
  return it == url.params().end() ? std::string() : std::string((*it).value);
}

// Waits until any of `partitions` has data past `positions`, or `wait` passes.
boost::asio::awaitable<void> wait_for_data(log::Topic& topic,
                                           const std::map<int32_t, int64_t>& positions,
                                           std::chrono::milliseconds wait) {
  auto ex = co_await boost::asio::this_coro::executor;
  auto timer = std::make_shared<boost::asio::steady_timer>(ex, wait);
  std::weak_ptr<boost::asio::steady_timer> weak = timer;
  for (const auto& [p, offset] : positions) {
    topic.partition(p).notify_when_above(offset, [weak, ex] {
      boost::asio::post(ex, [weak] {
        if (auto t = weak.lock()) t->cancel();
      });
    });
  }
  boost::system::error_code ec;
  co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

// Reads up to `max` records from each position onwards; moves the positions.
Result<json::array> read_records(log::Topic& topic, std::map<int32_t, int64_t>& positions,
                                 size_t max) {
  json::array out;
  for (auto& [p, offset] : positions) {
    auto& part = topic.partition(p);
    if (offset < part.start_offset()) offset = part.start_offset();
    while (out.size() < max && offset < part.high_watermark()) {
      auto bytes = part.read(offset, 1 << 20);
      if (!bytes) return bytes.error();
      if (bytes->empty()) break;
      auto st = log::for_each_batch(
          *bytes, [&](const log::BatchHeader& h, std::vector<log::Record>&& records) {
            for (const auto& r : records) {
              if (r.offset < offset || out.size() >= max) continue;
              out.push_back(log::record_to_json(p, r));
              offset = r.offset + 1;
            }
            if (out.size() < max) offset = std::max(offset, h.next_offset());
          });
      if (!st) return st.error();
    }
  }
  return out;
}

boost::asio::awaitable<Response> get_records(log::Store& store, RemoteMembers* members,
                                             log::Topic& topic, const boost::urls::url_view& url,
                                             const http::Request& req,
                                             const http::RequestInfo& info) {
  const size_t max = static_cast<size_t>(
      std::min<int64_t>(int_param(url, "max").value_or(100), kMaxRecordsPerRead));
  std::chrono::milliseconds wait{0};
  if (auto w = str_param(url, "wait"); !w.empty()) {
    auto d = parse_duration(w);
    if (!d) co_return problem(400, "Bad Request", "wait expects a duration like 5s", req, info);
    wait = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(*d),
                    std::chrono::duration_cast<std::chrono::milliseconds>(kMaxWait));
  }
  std::map<int32_t, int64_t> positions;
  const std::string group = str_param(url, "group");
  const std::string member = str_param(url, "member");
  if (!member.empty()) {
    if (group.empty()) co_return problem(400, "Bad Request", "member needs its group", req, info);
    if (!members) co_return problem(404, "Not Found", "no group members here", req, info);
    co_return co_await member_poll(*members, topic, group, member, max, wait, req, info);
  }
  if (!group.empty()) {
    for (int32_t p = 0; p < topic.partition_count(); ++p) {
      positions[p] = store.offsets()
                         .committed(group, topic.name(), p)
                         .value_or(topic.partition(p).start_offset());
    }
  } else {
    const auto p = int_param(url, "partition").value_or(0);
    if (p >= topic.partition_count()) {
      co_return problem(
          400, "Bad Request",
          fmt::format("topic {} has {} partitions", topic.name(), topic.partition_count()), req,
          info);
    }
    positions[static_cast<int32_t>(p)] =
        int_param(url, "offset").value_or(topic.partition(static_cast<int32_t>(p)).start_offset());
  }
  const auto started = positions;
  auto records = read_records(topic, positions, max);
  if (records && records->empty() && wait.count() > 0) {
    co_await wait_for_data(topic, started, wait);
    positions = started;
    records = read_records(topic, positions, max);
  }
  if (!records) co_return problem_from(records.error(), req, info);
  json::object next;
  for (const auto& [p, offset] : positions) next[std::to_string(p)] = offset;
  co_return json_response(json::object{{"records", std::move(*records)}, {"next", std::move(next)}},
                          req);
}

boost::asio::awaitable<Response> post_records(log::Store& store, log::Topic& topic,
                                              const http::Request& req,
                                              const http::RequestInfo& info) {
  boost::system::error_code ec;
  json::value body = json::parse(req.body(), ec);
  if (ec) co_return problem(400, "Bad Request", "the body is not JSON: " + ec.message(), req, info);
  json::array items = body.is_array() ? body.as_array() : json::array{body};
  if (items.empty()) co_return problem(400, "Bad Request", "no records in the body", req, info);
  std::vector<components::PartitionRecords> groups;
  std::map<int32_t, size_t> group_of;
  std::vector<std::pair<size_t, size_t>> where;  // (group, index in group) per record
  for (const auto& item : items) {
    auto r = record_from_json(item);
    if (!r) co_return problem_from(r.error(), req, info);
    int32_t p = -1;
    if (const auto* o = item.if_object(); o && o->contains("partition")) {
      const auto& pv = o->at("partition");
      if (!pv.is_int64() || pv.as_int64() < 0 || pv.as_int64() >= topic.partition_count()) {
        co_return problem(400, "Bad Request",
                          fmt::format("partition must be 0..{}", topic.partition_count() - 1), req,
                          info);
      }
      p = static_cast<int32_t>(pv.as_int64());
    }
    if (p < 0)
      p = r->key ? topic.choose_partition(std::string_view(*r->key))
                 : topic.choose_partition(std::nullopt);
    auto [it, inserted] = group_of.emplace(p, groups.size());
    if (inserted) groups.push_back({p, {}});
    where.emplace_back(it->second, groups[it->second].records.size());
    groups[it->second].records.push_back(std::move(*r));
  }
  std::vector<int32_t> partitions;
  for (const auto& g : groups) partitions.push_back(g.partition);
  auto results = co_await components::produce_all(store, topic, std::move(groups));
  for (const auto& r : results) {
    if (!r) co_return problem_from(r.error(), req, info);
  }
  json::array offsets;
  for (const auto& [g, i] : where) {
    offsets.push_back(json::object{{"partition", partitions[g]},
                                   {"offset", results[g]->base_offset + static_cast<int64_t>(i)}});
  }
  co_return json_response(json::object{{"offsets", std::move(offsets)}}, req);
}

// GET /topics/NAME/groups[/G]: every group on the topic, or one.
Response get_groups(log::Store& store, log::Topic& topic, const std::string* only,
                    const http::Request& req, const http::RequestInfo& info) {
  const auto now = log::GroupCoordinator::Clock::now();
  if (only) {
    auto status = log::group_status(store, topic, *only, now);
    if (!status) {
      return problem(404, "Not Found",
                     fmt::format("no group '{}' on topic {}: it has no members and committed "
                                 "nothing",
                                 *only, topic.name()),
                     req, info);
    }
    return json_response(log::group_to_json(*status), req);
  }
  json::array groups;
  for (const auto& name : log::group_names(store, topic.name())) {
    if (auto status = log::group_status(store, topic, name, now)) {
      groups.push_back(log::group_to_json(*status));
    }
  }
  return json_response(json::object{{"groups", std::move(groups)}}, req);
}

}  // namespace

boost::asio::awaitable<std::optional<Response>> handle_topics_api(log::Store& store,
                                                                  RemoteMembers* members,
                                                                  http::Request& req,
                                                                  const http::RequestInfo& info) {
  std::string_view target(req.target().data(), req.target().size());
  if (target != "/topics" && !target.starts_with("/topics/") && !target.starts_with("/topics?")) {
    co_return std::nullopt;
  }
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) co_return problem(400, "Bad Request", "malformed request target", req, info);
  const boost::urls::url_view url = *parsed;
  std::vector<std::string> segs;
  for (auto s : url.segments()) segs.emplace_back(s);
  const auto method = req.method();

  if (segs.size() == 1) {
    if (method != beast_http::verb::get)
      co_return problem(405, "Method Not Allowed", "GET /topics", req, info);
    json::array topics;
    for (const auto& name : store.topic_names()) {
      if (name.starts_with("__")) continue;
      log::Topic* t = store.find_topic(name);
      if (!t) continue;
      json::array parts;
      for (int32_t p = 0; p < t->partition_count(); ++p) {
        parts.push_back(json::object{{"partition", p},
                                     {"start", t->partition(p).start_offset()},
                                     {"end", t->partition(p).high_watermark()}});
      }
      topics.push_back(json::object{{"name", name}, {"partitions", std::move(parts)}});
    }
    co_return json_response(json::object{{"topics", std::move(topics)}}, req);
  }
  log::Topic* topic =
      segs.size() >= 2 && !segs[1].starts_with("__") ? store.find_topic(segs[1]) : nullptr;
  if (!topic) {
    co_return problem(404, "Not Found",
                      fmt::format("no topic '{}'", segs.size() >= 2 ? segs[1] : ""), req, info);
  }
  if (segs.size() == 3 && segs[2] == "records") {
    if (method == beast_http::verb::post) co_return co_await post_records(store, *topic, req, info);
    if (method == beast_http::verb::get)
      co_return co_await get_records(store, members, *topic, url, req, info);
    co_return problem(405, "Method Not Allowed", "GET or POST on records", req, info);
  }
  if ((segs.size() == 3 || segs.size() == 4) && segs[2] == "groups") {
    if (method != beast_http::verb::get)
      co_return problem(405, "Method Not Allowed", "GET a topic's groups", req, info);
    co_return get_groups(store, *topic, segs.size() == 4 ? &segs[3] : nullptr, req, info);
  }
  if (segs.size() == 5 && segs[2] == "groups" && segs[4] == "offsets") {
    if (method != beast_http::verb::post)
      co_return problem(405, "Method Not Allowed", "POST offsets", req, info);
    co_return co_await commit_offsets(store, members, *topic, segs[3], str_param(url, "member"),
                                      req, info);
  }
  if (members && segs.size() == 5 && segs[2] == "groups" && segs[4] == "members") {
    if (method != beast_http::verb::post)
      co_return problem(405, "Method Not Allowed", "POST members to join", req, info);
    co_return co_await join_group(*members, *topic, segs[3], req, info);
  }
  if (members && segs.size() == 6 && segs[2] == "groups" && segs[4] == "members") {
    if (method != beast_http::verb::delete_)
      co_return problem(405, "Method Not Allowed", "DELETE a member to leave", req, info);
    co_return leave_group(*members, *topic, segs[3], segs[5], req, info);
  }
  co_return problem(404, "Not Found",
                    "served here: /topics, /topics/NAME/records, /topics/NAME/groups[/G], "
                    "/topics/NAME/groups/G/offsets, /topics/NAME/groups/G/members[/ID]",
                    req, info);
}

}  // namespace junction::app
