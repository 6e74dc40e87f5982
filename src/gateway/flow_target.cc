#include "gateway/flow_target.h"

#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <cctype>
#include <charconv>
#include <mutex>

#include "http/problem.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Headers a flow may not set: the server frames the response and owns the
// connection.
bool framing_header(std::string_view name) {
  static constexpr std::string_view kFraming[] = {
      "connection", "content-length", "keep-alive",        "proxy-connection",
      "te",         "trailer",        "transfer-encoding", "upgrade"};
  for (auto f : kFraming) {
    if (iequals(f, name)) return true;
  }
  return false;
}

bool token(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    bool ok = std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                     std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// A field value without CR, LF or other controls (tab allowed): a flow must
// not be able to split the response.
bool field_value(std::string_view value) {
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

std::optional<int> reply_status(const Headers& headers) {
  auto text = headers.get(kReplyStatusKey);
  if (!text) return 200;
  int status = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), status);
  if (ec != std::errc() || end != text->data() + text->size() || status < 200 || status > 599) {
    return std::nullopt;
  }
  return status;
}

http::Response unavailable(std::string_view detail, std::string_view request_id, unsigned version) {
  auto res = http::problem_response(503, "Service Unavailable", detail, request_id, version);
  res.set(bhttp::field::retry_after, "1");
  return res;
}

http::Response failed(const Error& e, std::string_view request_id, unsigned version) {
  switch (e.cls()) {
    case ErrorClass::kInvalid:
      return http::problem_response(422, "Unprocessable Content",
                                    "the request was refused as invalid", request_id, version);
    case ErrorClass::kUnauthorized:
      return http::problem_response(401, "Unauthorized", "the request was refused", request_id,
                                    version);
    case ErrorClass::kForbidden:
      return http::problem_response(403, "Forbidden", "the request was refused", request_id,
                                    version);
    case ErrorClass::kTransient:
    case ErrorClass::kOverloaded:
      return unavailable("the request could not be processed now; try again later", request_id,
                         version);
    case ErrorClass::kPermanent:
      break;
  }
  return http::problem_response(500, "Internal Server Error", "the request could not be processed",
                                request_id, version);
}

http::Response replied(const FlowAnswer& answer, std::string_view request_id, unsigned version) {
  auto status = reply_status(answer.headers);
  if (!status) {
    spdlog::error("request {}: the flow's reply has an invalid {} '{}'", request_id,
                  kReplyStatusKey, answer.headers.get(kReplyStatusKey).value_or(""));
    return http::problem_response(500, "Internal Server Error",
                                  "the request could not be processed", request_id, version);
  }
  http::Response res{static_cast<bhttp::status>(*status), version};
  const bool bodyless = *status == 204 || *status == 304;
  if (!bodyless) {
    std::string_view type = answer.headers.get(kReplyContentTypeKey).value_or("application/json");
    if (field_value(type)) res.set(bhttp::field::content_type, type);
    res.body() = answer.payload.str();
  }
  for (const auto& [key, value] : answer.headers) {
    if (!starts_with_ci(key, kReplyHeaderPrefix)) continue;
    std::string_view name = std::string_view(key).substr(kReplyHeaderPrefix.size());
    if (!token(name) || !field_value(value) || framing_header(name)) {
      spdlog::warn("request {}: the flow's reply header '{}' is not allowed; left out", request_id,
                   name);
      continue;
    }
    res.set(name, value);
  }
  res.prepare_payload();
  return res;
}

}  // namespace

bool FlowTargets::add(const std::string& flow, std::shared_ptr<FlowEndpoint> endpoint) {
  std::unique_lock lock(mu_);
  return endpoints_.emplace(flow, std::move(endpoint)).second;
}

void FlowTargets::remove(const std::string& flow, const FlowEndpoint* endpoint) {
  std::unique_lock lock(mu_);
  auto it = endpoints_.find(flow);
  if (it != endpoints_.end() && it->second.get() == endpoint) endpoints_.erase(it);
}

std::shared_ptr<FlowEndpoint> FlowTargets::find(std::string_view flow) const {
  std::shared_lock lock(mu_);
  auto it = endpoints_.find(flow);
  return it == endpoints_.end() ? nullptr : it->second;
}

http::Response flow_response(const FlowAnswer& answer, std::string_view request_id,
                             unsigned version) {
  using Outcome = FlowAnswer::Outcome;
  switch (answer.outcome) {
    case Outcome::kReplied:
      return replied(answer, request_id, version);
    case Outcome::kNoReply: {
      http::Response res{bhttp::status::no_content, version};
      res.prepare_payload();
      return res;
    }
    case Outcome::kFailed:
      return failed(answer.error.value_or(Error::permanent("")), request_id, version);
    case Outcome::kTimedOut:
      return http::problem_response(504, "Gateway Timeout", "the request was not processed in time",
                                    request_id, version);
    case Outcome::kBusy:
      return unavailable("too many requests are being processed; try again later", request_id,
                         version);
    case Outcome::kUnavailable:
      break;
  }
  return unavailable("the service is not running; try again later", request_id, version);
}

}  // namespace junction::gateway
