#include "http/problem.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>

namespace junction::http {

namespace {

struct SlugEntry {
  int status;
  std::string_view slug;
};

constexpr SlugEntry kSlugs[] = {
    {400, "bad-request"},
    {401, "unauthorized"},
    {403, "forbidden"},
    {404, "not-found"},
    {405, "method-not-allowed"},
    {406, "not-acceptable"},
    {408, "request-timeout"},
    {409, "conflict"},
    {410, "gone"},
    {411, "length-required"},
    {412, "precondition-failed"},
    {413, "payload-too-large"},
    {414, "uri-too-long"},
    {415, "unsupported-media-type"},
    {422, "unprocessable-content"},
    {429, "too-many-requests"},
    {431, "header-fields-too-large"},
    {500, "internal-error"},
    {501, "not-implemented"},
    {502, "bad-gateway"},
    {503, "unavailable"},
    {504, "gateway-timeout"},
};

}  // namespace

std::string_view problem_slug(int status) {
  for (const auto& e : kSlugs) {
    if (e.status == status) return e.slug;
  }
  // Unlisted statuses fall back to their class so the type stays a stable URI.
  if (status >= 500) return "server-error";
  if (status >= 400) return "client-error";
  return "about";
}

Response problem_response(int status, std::string_view title, std::string_view detail,
                          std::string_view request_id, unsigned version) {
  return problem_response(status, title, detail, request_id, version, boost::json::object());
}

Response problem_response(int status, std::string_view title, std::string_view detail,
                          std::string_view request_id, unsigned version,
                          const boost::json::object& extensions) {
  namespace bhttp = boost::beast::http;
  std::string type = "https://junction.dev/problems/";
  type += problem_slug(status);
  std::string_view effective_title = title;
  if (effective_title.empty()) {
    effective_title = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  }

  boost::json::object body;
  body["type"] = type;
  body["title"] = effective_title;
  body["status"] = status;
  body["detail"] = detail;
  body["request_id"] = request_id;
  for (const auto& member : extensions) body.emplace(member.key(), member.value());

  Response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::content_type, "application/problem+json");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = boost::json::serialize(body);
  res.prepare_payload();
  return res;
}

}  // namespace junction::http
