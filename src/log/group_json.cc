#include "log/group_json.h"

#include <boost/json.hpp>

namespace junction::log {

namespace json = boost::json;

json::object group_to_json(const GroupStatus& status) {
  json::array members;
  for (const auto& m : status.members) {
    json::array partitions(m.partitions.begin(), m.partitions.end());
    json::object member{{"id", m.id}, {"partitions", std::move(partitions)}};
    // A member with a session timeout is a remote one (GroupCoordinator).
    const bool remote = m.session_timeout.count() > 0;
    member["kind"] = remote ? "remote" : "local";
    if (remote) {
      member["session_timeout_ms"] = m.session_timeout.count();
      member["heartbeat_age_ms"] = m.since_heard.count();
    }
    members.push_back(std::move(member));
  }
  json::array partitions;
  for (const auto& p : status.partitions) {
    json::object o{{"partition", p.partition}, {"start", p.start}, {"end", p.end}, {"lag", p.lag}};
    o["committed"] = p.committed ? json::value(*p.committed) : json::value(nullptr);
    o["owner"] = p.owner ? json::value(*p.owner) : json::value(nullptr);
    partitions.push_back(std::move(o));
  }
  return json::object{{"group", status.group},
                      {"generation", status.generation},
                      {"lag", status.lag()},
                      {"members", std::move(members)},
                      {"partitions", std::move(partitions)}};
}

}  // namespace junction::log
