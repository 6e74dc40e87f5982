#include "log/topic_config.h"

#include <boost/json.hpp>

#include "fmt/format.h"

namespace junction::log {
namespace json = boost::json;

Result<FsyncPolicy> FsyncPolicy::parse(std::string_view text) {
  FsyncPolicy p;
  if (text == "always") return p;
  if (text == "never") {
    p.mode = Mode::kNever;
    return p;
  }
  if (text.starts_with("interval")) {
    auto rest = text.substr(8);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    auto d = parse_duration(rest);
    if (d && d->count() > 0) {
      p.mode = Mode::kInterval;
      p.interval = *d;
      return p;
    }
  }
  return Error::invalid(fmt::format(
      "fsync '{}' is not one of: always, never, interval <duration> (e.g. 'interval 100ms')",
      text));
}

std::string FsyncPolicy::to_string() const {
  switch (mode) {
    case Mode::kAlways:
      return "always";
    case Mode::kNever:
      return "never";
    case Mode::kInterval:
      return "interval " + format_duration(interval);
  }
  return "always";
}

std::string topic_config_to_json(const TopicConfig& c) {
  json::object o;
  o["partitions"] = c.partitions;
  o["fsync"] = c.fsync.to_string();
  o["segment_bytes"] = c.segment_bytes;
  o["segment_age_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(c.segment_age).count();
  if (c.retention_age) {
    o["retention_age_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(*c.retention_age).count();
  }
  if (c.retention_bytes) o["retention_bytes"] = *c.retention_bytes;
  o["compaction"] = c.compaction;
  o["tombstone_retention_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(c.tombstone_retention).count();
  o["max_message_bytes"] = c.max_message_bytes;
  if (c.max_bytes) o["max_bytes"] = *c.max_bytes;
  o["compression"] = std::string(to_string(c.compression));
  o["dead_letter_topic"] = c.dead_letter_topic;
  o["max_deliveries"] = c.max_deliveries;
  return json::serialize(o) + "\n";
}

Result<TopicConfig> topic_config_from_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::invalid("topic.json is not a JSON object");
  const auto& o = v.as_object();
  TopicConfig c;
  try {
    auto ms = [](const json::value& x) {
      return std::chrono::milliseconds(x.to_number<int64_t>());
    };
    if (auto* x = o.if_contains("partitions")) c.partitions = x->to_number<int32_t>();
    if (auto* x = o.if_contains("fsync")) {
      auto p = FsyncPolicy::parse(x->as_string());
      if (!p) return p.error();
      c.fsync = *p;
    }
    if (auto* x = o.if_contains("segment_bytes")) c.segment_bytes = x->to_number<uint64_t>();
    if (auto* x = o.if_contains("segment_age_ms")) c.segment_age = ms(*x);
    if (auto* x = o.if_contains("retention_age_ms")) c.retention_age = ms(*x);
    if (auto* x = o.if_contains("retention_bytes")) c.retention_bytes = x->to_number<uint64_t>();
    if (auto* x = o.if_contains("compaction")) c.compaction = x->as_bool();
    if (auto* x = o.if_contains("tombstone_retention_ms")) c.tombstone_retention = ms(*x);
    if (auto* x = o.if_contains("max_message_bytes"))
      c.max_message_bytes = x->to_number<uint64_t>();
    if (auto* x = o.if_contains("max_bytes")) c.max_bytes = x->to_number<uint64_t>();
    if (auto* x = o.if_contains("compression")) {
      auto comp = compression_from_string(x->as_string());
      if (!comp) return Error::invalid("topic.json: unknown compression");
      c.compression = *comp;
    }
    if (auto* x = o.if_contains("dead_letter_topic")) c.dead_letter_topic = x->as_string();
    if (auto* x = o.if_contains("max_deliveries")) c.max_deliveries = x->to_number<int32_t>();
  } catch (const std::exception& e) {
    return Error::invalid(fmt::format("topic.json: {}", e.what()));
  }
  if (c.partitions < 1) return Error::invalid("topic.json: partitions must be at least 1");
  return c;
}

Status validate_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") {
    return Error::invalid(fmt::format("'{}' is not a valid topic name", name));
  }
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) {
      return Error::invalid(
          fmt::format("topic name '{}' has '{}': use letters, digits, '.', '_' and '-'", name, ch));
    }
  }
  return ok_status();
}

}  // namespace junction::log
