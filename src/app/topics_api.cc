#include "app/topics_api.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <map>

#include "components/common/log_bridge.h"
#include "core/message.h"
#include "fmt/format.h"
#include "http/problem.h"
#include "log/group_json.h"
#include "log/record_json.h"

namespace junction::app {
namespace {

namespace json = boost::json;
namespace beast_http = boost::beast::http;
using Response = http::Response;

constexpr size_t kMaxRecordsPerRead = 1000;
// The problem type of a member's commit refused by tenure (docs/log.md).
constexpr std::string_view kStaleGenerationProblem =
    "https://junction.dev/problems/stale-generation";
constexpr auto kMaxWait = std::chrono::seconds(30);

Response problem(int status, std::string_view title, std::string_view detail,
                 const http::Request& req, const http::RequestInfo& info) {
  return http::problem_response(status, title, detail, info.request_id, req.version());
}

Response problem_from(const Error& e, const http::Request& req, const http::RequestInfo& info) {
  const int status = e.http_status();
  return problem(status,
                 std::string(beast_http::obsolete_reason(static_cast<beast_http::status>(status))),
                 e.message(), req, info);
}

Response json_response(json::value body, const http::Request& req) {
  Response res{beast_http::status::ok, req.version()};
  res.set(beast_http::field::content_type, "application/json");
  res.body() = json::serialize(body);
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

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

Response unknown_member(const std::string& group, const std::string& member,
                        const http::Request& req, const http::RequestInfo& info) {
  return problem(404, "Not Found",
                 fmt::format("member '{}' is not in group '{}' (it left, or was silent past its "
                             "session timeout): join again",
                             member, group),
                 req, info);
}

json::array partitions_json(const std::vector<int32_t>& partitions) {
  json::array out;
  for (int32_t p : partitions) out.push_back(p);
  return out;
}

// A group member's poll: records from its partitions only; also a heartbeat.
boost::asio::awaitable<Response> get_member_records(RemoteMembers& members, log::Topic& topic,
                                                    const std::string& group,
                                                    const std::string& member, size_t max,
                                                    std::chrono::milliseconds wait,
                                                    const http::Request& req,
                                                    const http::RequestInfo& info) {
  auto polled = co_await members.poll(topic.name(), group, member, std::max<size_t>(1, max), wait);
  if (!polled) co_return problem_from(polled.error(), req, info);
  switch (polled->refused) {
    case RemoteMembers::Refusal::kNone:
      break;
    case RemoteMembers::Refusal::kPollWaiting:
      co_return problem(
          409, "Conflict",
          fmt::format("member '{}' has a poll waiting already; poll one at a time", member), req,
          info);
    default:
      co_return unknown_member(group, member, req, info);
  }
  json::array records;
  for (const auto& d : polled->deliveries)
    records.push_back(log::record_to_json(d.partition, d.record));
  co_return json_response(
      json::object{{"records", std::move(records)},
                   {"member", member},
                   {"generation", polled->assignment.generation},
                   {"partitions", partitions_json(polled->assignment.partitions)}},
      req);
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
    co_return co_await get_member_records(*members, topic, group, member, max, wait, req, info);
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

boost::asio::awaitable<Status> commit_offset(log::Store& store, const std::string& group,
                                             const std::string& topic, int32_t p, int64_t offset) {
  auto init = [&](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    store.offsets().commit(group, topic, p, offset, [shared](Status st) {
      auto ex = boost::asio::get_associated_executor(*shared);
      boost::asio::post(
          ex, [shared, st = std::move(st)]() mutable { std::move (*shared)(std::move(st)); });
    });
  };
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(Status)>(std::move(init),
                                                               boost::asio::use_awaitable);
}

// A member's commit, once durable; refusals come back at once.
boost::asio::awaitable<std::pair<RemoteMembers::CommitVerdict, Status>> member_commit(
    RemoteMembers& members, const std::string& topic, const std::string& group,
    const std::string& member, const std::map<int32_t, int64_t>& offsets,
    std::optional<uint64_t> generation) {
  using Outcome = std::pair<RemoteMembers::CommitVerdict, Status>;
  auto init = [&](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    auto finish = [shared](RemoteMembers::CommitVerdict verdict, Status st) {
      auto ex = boost::asio::get_associated_executor(*shared);
      boost::asio::post(ex, [shared, verdict, st = std::move(st)]() mutable {
        std::move (*shared)(Outcome(verdict, std::move(st)));
      });
    };
    auto verdict = members.commit(topic, group, member, offsets, generation,
                                  [finish](Status st) { finish({}, std::move(st)); });
    if (verdict.check != log::GroupCoordinator::CommitCheck::kDone) finish(verdict, ok_status());
  };
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(Outcome)>(std::move(init),
                                                                boost::asio::use_awaitable);
}

// A commit's body: [{"partition": P, "offset": N}, ...], or, from a member
// naming the generation its records were handed out in,
// {"generation": G, "offsets": [...]}.
struct CommitRequest {
  std::vector<std::pair<int32_t, int64_t>> offsets;
  std::optional<uint64_t> generation;
};

Result<CommitRequest> parse_commit(std::string_view text, int32_t partitions) {
  const auto bad = [] {
    return Error::invalid(
        R"(expected [{"partition": 0, "offset": 42}, ...] or {"generation": 3, "offsets": [...]})");
  };
  boost::system::error_code ec;
  json::value body = json::parse(text, ec);
  if (ec) return bad();
  CommitRequest out;
  const json::value* offsets = &body;
  if (const auto* o = body.if_object()) {
    offsets = o->if_contains("offsets");
    for (const auto& [name, v] : *o) {
      if (name == "generation") {
        if (!v.is_int64() || v.as_int64() < 0)
          return Error::invalid("generation is a whole number, 0 or more");
        out.generation = static_cast<uint64_t>(v.as_int64());
      } else if (name != "offsets") {
        return Error::invalid(
            fmt::format("unknown field '{}': use generation, offsets", std::string_view(name)));
      }
    }
  }
  if (!offsets || !offsets->is_array()) return bad();
  for (const auto& item : offsets->as_array()) {
    const auto* o = item.if_object();
    const json::value* p = o ? o->if_contains("partition") : nullptr;
    const json::value* off = o ? o->if_contains("offset") : nullptr;
    if (!p || !off || !p->is_int64() || !off->is_int64() || p->as_int64() < 0 ||
        p->as_int64() >= partitions || off->as_int64() < 0) {
      return Error::invalid("each entry needs a valid partition and offset");
    }
    out.offsets.emplace_back(static_cast<int32_t>(p->as_int64()), off->as_int64());
  }
  return out;
}

// A problem of its own type, so that a client tells it apart from others of
// its status. (http::problem_response derives the type from the status.)
Response typed_problem(int status, std::string_view type, std::string_view title,
                       std::string_view detail, const json::object& extensions,
                       const http::Request& req, const http::RequestInfo& info) {
  Response res =
      http::problem_response(status, title, detail, info.request_id, req.version(), extensions);
  json::value body = json::parse(res.body());
  body.as_object()["type"] = type;
  res.body() = json::serialize(body);
  res.prepare_payload();
  return res;
}

Response commit_refused(const RemoteMembers::CommitVerdict& verdict, const std::string& group,
                        const std::string& member, std::optional<uint64_t> generation,
                        const http::Request& req, const http::RequestInfo& info) {
  using CommitCheck = log::GroupCoordinator::CommitCheck;
  switch (verdict.check) {
    case CommitCheck::kNotOwner:
      return problem(409, "Conflict",
                     fmt::format("partition {} is no longer assigned to member '{}' (the group "
                                 "rebalanced); its new owner reads from the committed offset; "
                                 "nothing of this commit was applied",
                                 verdict.partition, member),
                     req, info);
    case CommitCheck::kStaleTenure:
      return typed_problem(
          409, kStaleGenerationProblem, "Stale generation",
          fmt::format("member '{}' holds partition {} since generation {}, after generation {} "
                      "that this commit names: what it commits was handed out before, and went "
                      "to another owner in between; nothing of this commit was applied. Poll "
                      "again: the partition is delivered again from the committed offset",
                      member, verdict.partition, verdict.tenure, generation.value_or(0)),
          json::object{{"partition", verdict.partition},
                       {"generation", generation.value_or(0)},
                       {"owned_since", verdict.tenure}},
          req, info);
    case CommitCheck::kFutureGeneration:
      return problem(400, "Bad Request",
                     fmt::format("generation {} is newer than group '{}''s current generation {}",
                                 generation.value_or(0), group, verdict.generation),
                     req, info);
    case CommitCheck::kDone:
    case CommitCheck::kUnknownMember:
      break;
  }
  return unknown_member(group, member, req, info);
}

boost::asio::awaitable<Response> post_offsets(log::Store& store, RemoteMembers* members,
                                              log::Topic& topic, const std::string& group,
                                              const boost::urls::url_view& url,
                                              const http::Request& req,
                                              const http::RequestInfo& info) {
  auto request = parse_commit(req.body(), topic.partition_count());
  if (!request) co_return problem_from(request.error(), req, info);
  const std::string member = str_param(url, "member");
  if (member.empty()) {
    if (request->generation) {
      co_return problem(400, "Bad Request", "generation is for a member's commit (?member=ID)", req,
                        info);
    }
    // Like Kafka's: offsets are set from outside only while nobody consumes,
    // so that only a partition's owner ever commits it.
    if (const size_t n = store.groups().member_count(group, topic.name()); n > 0) {
      co_return problem(409, "Conflict",
                        fmt::format("group '{}' has {} members on topic {}: commit as a member "
                                    "(?member=ID), or when the group is empty",
                                    group, n, topic.name()),
                        req, info);
    }
    for (const auto& [p, offset] : request->offsets) {
      Status st = co_await commit_offset(store, group, topic.name(), p, offset);
      if (!st) co_return problem_from(st.error(), req, info);
    }
    co_return json_response(json::object{{"committed", request->offsets.size()}}, req);
  }
  if (!members) co_return unknown_member(group, member, req, info);
  // Offsets only move forward: of two for one partition, the larger counts.
  std::map<int32_t, int64_t> through;
  for (const auto& [p, offset] : request->offsets) through[p] = std::max(through[p], offset);
  auto [verdict, st] =
      co_await member_commit(*members, topic.name(), group, member, through, request->generation);
  if (verdict.check != log::GroupCoordinator::CommitCheck::kDone) {
    co_return commit_refused(verdict, group, member, request->generation, req, info);
  }
  if (!st) co_return problem_from(st.error(), req, info);
  co_return json_response(json::object{{"committed", request->offsets.size()}}, req);
}

boost::asio::awaitable<Response> post_member(RemoteMembers& members, log::Topic& topic,
                                             const std::string& group, const http::Request& req,
                                             const http::RequestInfo& info) {
  auto session = RemoteMembers::kDefaultSessionTimeout;
  log::StartPosition start;
  if (!req.body().empty()) {
    boost::system::error_code ec;
    json::value body = json::parse(req.body(), ec);
    if (ec || !body.is_object()) {
      co_return problem(400, "Bad Request",
                        R"(expected {"session_timeout": "30s", "start": "earliest"} or no body)",
                        req, info);
    }
    for (const auto& [name, v] : body.as_object()) {
      if (name == "session_timeout") {
        auto d = v.is_string() ? parse_duration(std::string_view(v.as_string())) : std::nullopt;
        const auto ms = d ? std::chrono::duration_cast<std::chrono::milliseconds>(*d)
                          : std::chrono::milliseconds(-1);
        if (ms < RemoteMembers::kMinSessionTimeout || ms > RemoteMembers::kMaxSessionTimeout) {
          co_return problem(400, "Bad Request",
                            fmt::format("session_timeout is a duration from {}ms to {}ms",
                                        RemoteMembers::kMinSessionTimeout.count(),
                                        RemoteMembers::kMaxSessionTimeout.count()),
                            req, info);
        }
        session = ms;
      } else if (name == "start") {
        auto pos = v.is_string() ? log::StartPosition::parse(std::string_view(v.as_string()))
                                 : Result<log::StartPosition>(Error::invalid("start is a string"));
        if (!pos) co_return problem_from(pos.error(), req, info);
        start = *pos;
      } else {
        co_return problem(
            400, "Bad Request",
            fmt::format("unknown field '{}': use session_timeout, start", std::string_view(name)),
            req, info);
      }
    }
  }
  auto joined = members.join(topic.name(), group, session, start);
  if (!joined) co_return problem_from(joined.error(), req, info);
  co_return json_response(
      json::object{{"member", joined->member},
                   {"generation", joined->assignment.generation},
                   {"partitions", partitions_json(joined->assignment.partitions)},
                   {"session_timeout_ms", joined->session_timeout.count()}},
      req);
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
    co_return co_await post_offsets(store, members, *topic, segs[3], url, req, info);
  }
  if (members && segs.size() == 5 && segs[2] == "groups" && segs[4] == "members") {
    if (method != beast_http::verb::post)
      co_return problem(405, "Method Not Allowed", "POST members to join", req, info);
    co_return co_await post_member(*members, *topic, segs[3], req, info);
  }
  if (members && segs.size() == 6 && segs[2] == "groups" && segs[4] == "members") {
    if (method != beast_http::verb::delete_)
      co_return problem(405, "Method Not Allowed", "DELETE a member to leave", req, info);
    if (!members->leave(topic->name(), segs[3], segs[5])) {
      co_return unknown_member(segs[3], segs[5], req, info);
    }
    co_return json_response(json::object{{"left", segs[5]}}, req);
  }
  co_return problem(404, "Not Found",
                    "served here: /topics, /topics/NAME/records, /topics/NAME/groups[/G], "
                    "/topics/NAME/groups/G/offsets, /topics/NAME/groups/G/members[/ID]",
                    req, info);
}

}  // namespace junction::app
