#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/buffer.h"
#include "core/error.h"
#include "core/headers.h"
#include "core/units.h"
#include "http/server.h"

namespace junction::gateway {

namespace asio = boost::asio;

// One request on its way into a flow. The references outlive the call.
struct FlowCall {
  const http::Request& request;
  const http::RequestInfo& info;
  std::string_view consumer;  // the authenticated caller; empty: anonymous
  std::vector<std::pair<std::string, std::string>> params;  // the route's path parameters
  Duration timeout;
};

// What a flow made of a request.
struct FlowAnswer {
  enum class Outcome : uint8_t {
    kReplied,      // the flow's `reply` output took the message: payload, headers
    kNoReply,      // the flow finished without a reply (filtered, routed elsewhere)
    kFailed,       // the flow failed or dead-lettered the message: error
    kTimedOut,     // not settled within the call's timeout (it may still be)
    kBusy,         // the flow's gateway input has max_in_flight requests in it
    kUnavailable,  // the flow is not running (not yet open, or stopping)
  };
  Outcome outcome = Outcome::kUnavailable;
  Buffer payload;
  Headers headers;  // the replied message's metadata
  std::optional<Error> error;
};

// A running flow that serves routes: its `gateway` input
// (components/inputs/gateway/) implements this, a layer above the gateway.
class FlowEndpoint {
 public:
  virtual ~FlowEndpoint() = default;
  // Sends the request into the flow as one message; completes once the flow
  // settled it, or at the call's timeout. Callable from any thread; resumes
  // on the caller's executor.
  virtual asio::awaitable<FlowAnswer> call(FlowCall call) = 0;
};

// The flows that serve routes, by name. One per process, shared by every
// gateway thread (routes look their flow up per request) and filled by the
// flows' `gateway` inputs as they open and close, so a route whose flow is
// not running yet, or any more, answers 503. Thread-safe.
class FlowTargets {
 public:
  // False when a flow of that name is already registered.
  bool add(const std::string& flow, std::shared_ptr<FlowEndpoint> endpoint);
  // Removes `flow` if `endpoint` is what it is registered as.
  void remove(const std::string& flow, const FlowEndpoint* endpoint);
  std::shared_ptr<FlowEndpoint> find(std::string_view flow) const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<FlowEndpoint>, std::less<>> endpoints_;
};

// Reply metadata a flow sets (e.g. `meta.http_status = 201` in a map) to
// shape its answer. Request headers of these names never reach the flow.
inline constexpr std::string_view kReplyStatusKey = "http_status";
inline constexpr std::string_view kReplyContentTypeKey = "http_content_type";
inline constexpr std::string_view kReplyHeaderPrefix = "http_header_";

// The HTTP response for a flow's answer: the reply (status from
// `http_status`, default 200; Content-Type from `http_content_type`, default
// application/json; a header for every `http_header_<Name>`), 204 without a
// reply, else problem+json: invalid 422, permanent 500, transient and
// overloaded 503, unauthorized 401, forbidden 403, timed out 504, busy or
// unavailable 503 (503s carry Retry-After). No detail of the failure
// reaches the client.
http::Response flow_response(const FlowAnswer& answer, std::string_view request_id,
                             unsigned version);

}  // namespace junction::gateway
