#include "app/group_members_api.h"

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <map>
#include <memory>

#include "app/api_response.h"
#include "fmt/format.h"
#include "http/problem.h"
#include "log/record_json.h"

namespace junction::app {
namespace {

namespace json = boost::json;
using Response = http::Response;

// The problem type of a member's commit refused by tenure (docs/log.md).
constexpr std::string_view kStaleGenerationProblem =
    "https://junction.dev/problems/stale-generation";

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

}  // namespace

boost::asio::awaitable<Response> join_group(RemoteMembers& members, log::Topic& topic,
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

boost::asio::awaitable<Response> member_poll(RemoteMembers& members, log::Topic& topic,
                                             const std::string& group, const std::string& member,
                                             size_t max, std::chrono::milliseconds wait,
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

boost::asio::awaitable<Response> commit_offsets(log::Store& store, RemoteMembers* members,
                                                log::Topic& topic, const std::string& group,
                                                const std::string& member, const http::Request& req,
                                                const http::RequestInfo& info) {
  auto request = parse_commit(req.body(), topic.partition_count());
  if (!request) co_return problem_from(request.error(), req, info);
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

Response leave_group(RemoteMembers& members, log::Topic& topic, const std::string& group,
                     const std::string& member, const http::Request& req,
                     const http::RequestInfo& info) {
  if (!members.leave(topic.name(), group, member)) return unknown_member(group, member, req, info);
  return json_response(json::object{{"left", member}}, req);
}

}  // namespace junction::app
