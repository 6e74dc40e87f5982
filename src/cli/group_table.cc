#include "cli/group_table.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "core/units.h"
#include "fmt/format.h"

namespace junction::cli {
namespace {

namespace json = boost::json;

std::string offset_or_dash(const json::value& v) {
  return v.is_null() ? "-" : std::to_string(v.to_number<int64_t>());
}

std::string ms(const json::value& v) {
  return format_duration(std::chrono::milliseconds(v.to_number<int64_t>()));
}

void print_member(const json::object& m) {
  std::string partitions;
  for (const auto& p : m.at("partitions").as_array()) {
    partitions += (partitions.empty() ? "" : ", ") + std::to_string(p.to_number<int64_t>());
  }
  if (partitions.empty()) partitions = "none";
  const std::string id = std::to_string(m.at("id").to_number<uint64_t>());
  if (m.at("kind").as_string() == "remote") {
    std::printf("    member %s (remote, heard %s ago, session timeout %s): partitions %s\n",
                id.c_str(), ms(m.at("heartbeat_age_ms")).c_str(),
                ms(m.at("session_timeout_ms")).c_str(), partitions.c_str());
  } else {
    std::printf("    member %s (local flow consumer): partitions %s\n", id.c_str(),
                partitions.c_str());
  }
}

}  // namespace

void print_groups(const json::array& groups) {
  for (const auto& v : groups) {
    const auto& g = v.as_object();
    const auto& members = g.at("members").as_array();
    std::string who = members.empty() ? "no members"
                                      : fmt::format("generation {}, {} member{}",
                                                    g.at("generation").to_number<uint64_t>(),
                                                    members.size(), members.size() == 1 ? "" : "s");
    std::printf("  group %s: lag %lld, %s\n", std::string(g.at("group").as_string()).c_str(),
                static_cast<long long>(g.at("lag").to_number<int64_t>()), who.c_str());
    std::printf("    %-10s %12s %12s %12s %8s\n", "PARTITION", "COMMITTED", "END", "LAG", "OWNER");
    for (const auto& pv : g.at("partitions").as_array()) {
      const auto& p = pv.as_object();
      std::printf("    %-10lld %12s %12lld %12lld %8s\n",
                  static_cast<long long>(p.at("partition").to_number<int64_t>()),
                  offset_or_dash(p.at("committed")).c_str(),
                  static_cast<long long>(p.at("end").to_number<int64_t>()),
                  static_cast<long long>(p.at("lag").to_number<int64_t>()),
                  offset_or_dash(p.at("owner")).c_str());
    }
    for (const auto& m : members) print_member(m.as_object());
  }
}

}  // namespace junction::cli
