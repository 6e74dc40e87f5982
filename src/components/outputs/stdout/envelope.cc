#include "components/outputs/stdout/envelope.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string_view>
#include <vector>

#include "observe/json_escape.h"

namespace junction::components {
namespace {

void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  observe::detail::append_json_escaped(out, s);
  out.push_back('"');
}

void append_headers(std::string& out, const Headers& headers) {
  // Grouped by name, in order of first appearance.
  std::vector<std::pair<std::string_view, std::vector<std::string_view>>> groups;
  for (const auto& [name, value] : headers) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return iequals(g.first, name); });
    if (it == groups.end()) {
      groups.push_back({name, {value}});
    } else {
      it->second.push_back(value);
    }
  }
  out.push_back('{');
  for (size_t i = 0; i < groups.size(); ++i) {
    if (i) out.push_back(',');
    append_string(out, groups[i].first);
    out.push_back(':');
    const auto& values = groups[i].second;
    if (values.size() == 1) {
      append_string(out, values[0]);
      continue;
    }
    out.push_back('[');
    for (size_t k = 0; k < values.size(); ++k) {
      if (k) out.push_back(',');
      append_string(out, values[k]);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

}  // namespace

void append_json_envelope(std::string& out, const Message& m) {
  out.append("{\"id\":");
  append_string(out, m.id);
  out.append(",\"key\":");
  append_string(out, m.key);
  out.append(",\"timestamp_ms\":");
  out.append(std::to_string(m.timestamp_ms));
  out.append(",\"headers\":");
  append_headers(out, m.headers);
  out.append(",\"payload\":");
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(m.payload.view(), ec);
  if (!ec) {
    // Re-serialized rather than copied: compact, so a pretty-printed payload
    // cannot break the one-object-per-line output.
    out.append(boost::json::serialize(parsed));
  } else {
    append_string(out, m.payload.view());
  }
  out.push_back('}');
}

}  // namespace junction::components
