#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/types.h"
#include "jsonschema/schema.h"
#include "observe/metrics.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

// A route's `validate` step: the body of a POST, PUT or PATCH must be JSON,
// sent as one of the route's media types, that matches the route's JSON
// Schema. It runs after authentication and rate limiting, so an anonymous
// or throttled caller never costs a parse, and before the target, which
// therefore sees only valid bodies. Other methods carry no body whose
// meaning HTTP defines, and pass unchecked.
//
// One per route and thread: the compiled schema is shared, the
// jsonschema::Validator (a regex cache) is not.
class BodyValidator {
 public:
  // A 422 lists at most this many violations, each cut to kMaxTextBytes:
  // the answer stays small, and echoes little of what the caller sent.
  static constexpr size_t kMaxListedViolations = 10;
  static constexpr size_t kMaxTextBytes = 200;

  // `spec.schema` must be set (the spec parser compiles it). `failures`
  // counts every refusal.
  BodyValidator(const spec::BodyValidationSpec& spec, std::string route_label,
                observe::Counter& failures);

  // nullopt: the request goes on. Otherwise the problem+json answer:
  // 415 for a content type the route does not take or a content-encoded
  // body, 400 for a body that is not JSON, 422 for one the schema refuses
  // (an `errors` member lists {pointer, message} objects).
  std::optional<http::Response> check(const http::Request& req, std::string_view request_id);

 private:
  bool accepts(std::string_view content_type) const;
  http::Response refuse(int status, std::string_view title, std::string_view detail,
                        std::string_view request_id, unsigned version);

  std::vector<std::string> content_types_;
  std::string route_label_;
  jsonschema::Validator validator_;
  observe::Counter* failures_;
};

}  // namespace junction::gateway
