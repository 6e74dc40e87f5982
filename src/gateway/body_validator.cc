#include "gateway/body_validator.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "http/problem.h"

namespace junction::gateway {
namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

// "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  std::string out(value);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool has_body_semantics(bhttp::verb method) {
  return method == bhttp::verb::post || method == bhttp::verb::put || method == bhttp::verb::patch;
}

// At most `limit` bytes of UTF-8 `text`, cut at a character boundary: a
// violation may quote a property name of the body, and the body is UTF-8
// (the parser checked), so the cut keeps the answer valid JSON text.
std::string bounded(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

}  // namespace

BodyValidator::BodyValidator(const spec::BodyValidationSpec& spec, std::string route_label,
                             observe::Counter& failures)
    : content_types_(spec.content_types),
      route_label_(std::move(route_label)),
      validator_(spec.schema),
      failures_(&failures) {}

bool BodyValidator::accepts(std::string_view content_type) const {
  return std::find(content_types_.begin(), content_types_.end(), media_type(content_type)) !=
         content_types_.end();
}

http::Response BodyValidator::refuse(int status, std::string_view title, std::string_view detail,
                                     std::string_view request_id, unsigned version) {
  failures_->inc();
  return http::problem_response(status, title, detail, request_id, version);
}

std::optional<http::Response> BodyValidator::check(const http::Request& req,
                                                   std::string_view request_id) {
  if (!has_body_semantics(req.method())) return std::nullopt;
  const unsigned version = req.version();

  auto type = req.find(bhttp::field::content_type);
  if (type == req.end() || !accepts(sv(type->value()))) {
    std::string detail = "the request body must be ";
    for (size_t i = 0; i < content_types_.size(); ++i) {
      detail += (i == 0 ? "" : i + 1 == content_types_.size() ? " or " : ", ") + content_types_[i];
    }
    return refuse(415, "Unsupported Media Type", detail, request_id, version);
  }
  // A compressed body would be validated as the bytes it is, and refused as
  // not JSON: 415 tells the caller what to change (RFC 9110, 15.5.16).
  auto encoding = req.find(bhttp::field::content_encoding);
  if (encoding != req.end() && media_type(sv(encoding->value())) != "identity") {
    return refuse(415, "Unsupported Media Type", "the request body must not be content-encoded",
                  request_id, version);
  }

  boost::system::error_code ec;
  json::value doc = json::parse(req.body(), ec, {}, jsonschema::parse_options());
  if (ec == json::error::too_deep) {
    return refuse(400, "Bad Request",
                  fmt::format("the request body nests deeper than {} levels",
                              jsonschema::parse_options().max_depth),
                  request_id, version);
  }
  if (ec) {
    return refuse(400, "Bad Request", "the request body is not valid JSON", request_id, version);
  }

  auto report = validator_.validate(doc, kMaxListedViolations);
  if (!report.ok() && report.error().cls() != ErrorClass::kInvalid) {
    spdlog::error("route {}: request body validation failed: {}", route_label_,
                  report.error().message());
    return refuse(500, "Internal Server Error", "the request body could not be validated",
                  request_id, version);
  }
  if (report.ok() && report->ok()) return std::nullopt;

  // The body is well-formed JSON of the right type but its content is
  // wrong: 422 (RFC 9110, 15.5.21), so a client can tell "fix the syntax"
  // (400) from "fix the values" without parsing the detail.
  json::array errors;
  size_t total = 1;
  if (!report.ok()) {
    // A document the validator would not look at (a giant property name).
    errors.push_back(json::object{{"pointer", ""},
                                  {"message", bounded(report.error().message(), kMaxTextBytes)}});
  } else {
    total = report->total;
    for (const auto& v : report->violations) {
      errors.push_back(json::object{{"pointer", bounded(v.pointer, kMaxTextBytes)},
                                    {"message", bounded(v.message, kMaxTextBytes)}});
    }
  }
  std::string detail = total > errors.size()
                           ? fmt::format(
                                 "the request body does not match the route's schema: {} "
                                 "problems, the first {} listed",
                                 total, errors.size())
                           : "the request body does not match the route's schema";
  failures_->inc();
  return http::problem_response(422, "Unprocessable Content", detail, request_id, version,
                                json::object{{"errors", std::move(errors)}});
}

}  // namespace junction::gateway
