#include "components/common/request_message.h"

#include "core/headers.h"

namespace junction::components {

bool header_stays_at_edge(std::string_view name) {
  static constexpr std::string_view kEdgeOnly[] = {"authorization",
                                                   "proxy-authorization",
                                                   "cookie",
                                                   "connection",
                                                   "keep-alive",
                                                   "transfer-encoding",
                                                   "te",
                                                   "upgrade",
                                                   "content-length",
                                                   "host",
                                                   "x-api-key",
                                                   "client-subject"};
  for (auto n : kEdgeOnly) {
    if (iequals(n, name)) return true;
  }
  // `http-method`, `http-target` and what an input adds under http- or
  // http_ (the gateway's path parameters and reply settings).
  return name.size() > 5 &&
         (iequals(name.substr(0, 5), "http-") || iequals(name.substr(0, 5), "http_"));
}

Message request_message(const http::Request& req, const http::RequestInfo& info, Buffer payload) {
  Message msg;
  msg.payload = std::move(payload);
  msg.id = info.request_id;
  msg.timestamp_ms = now_ms();
  for (const auto& field : req) {
    std::string_view name(field.name_string().data(), field.name_string().size());
    if (header_stays_at_edge(name)) continue;
    msg.headers.add(name, std::string_view(field.value().data(), field.value().size()));
  }
  msg.headers.set("http-method",
                  std::string_view(req.method_string().data(), req.method_string().size()));
  msg.headers.set("http-target", std::string_view(req.target().data(), req.target().size()));
  if (!info.client_subject.empty()) msg.headers.set("client-subject", info.client_subject);
  return msg;
}

}  // namespace junction::components
