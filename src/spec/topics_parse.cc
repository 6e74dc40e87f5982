#include "spec/topics_parse.h"

#include "spec/convert.h"
#include "spec/schema.h"

namespace junction::spec {
namespace {

const Schema& topic_schema() {
  static const Schema schema{{
      {"partitions", FieldType::kInt, "1", "partitions; records with the same key share one"},
      {"fsync", FieldType::kString, "",
       "always | interval <duration> | never (default: storage.fsync)"},
      {"retention", FieldType::kDuration, "",
       "drop segments whose records are all older; unset = keep"},
      {"retention_size", FieldType::kSize, "", "per partition, drop the oldest segments past this"},
      {"compaction", FieldType::kBool, "false", "keep only the latest record per key"},
      {"tombstone_retention", FieldType::kDuration, "24h",
       "how long a compacted delete marker stays"},
      {"segment_size", FieldType::kSize, "128MiB", "roll to a new segment file past this size"},
      {"segment_age", FieldType::kDuration, "7d", "roll to a new segment file past this age"},
      {"max_message_size", FieldType::kSize, "1MiB", "largest key + value + headers of one record"},
      {"max_size", FieldType::kSize, "", "the whole topic; appends past it fail as overloaded"},
      {"compression",
       FieldType::kString,
       "none",
       "batch compression",
       false,
       {"none", "lz4", "zstd"}},
      {"dead_letter", FieldType::kString, "",
       "topic for records that fail max_deliveries times (default <name>.dlq)"},
      {"max_deliveries", FieldType::kInt, "5", "deliveries to a consumer before dead-lettering"},
      {"key", FieldType::kString, "",
       "JSON field that keys records written by flows (e.g. order_id)"},
  }};
  return schema;
}

}  // namespace

log::FsyncPolicy parse_fsync(const std::string& text, const Location& where, Diagnostics& diags) {
  if (text.empty()) return {};
  auto policy = log::FsyncPolicy::parse(text);
  if (!policy) {
    diags.error(where, policy.error().message());
    return {};
  }
  return *policy;
}

void parse_topics(const Node& block, const log::FsyncPolicy& default_fsync, Diagnostics& diags,
                  std::vector<TopicSpec>& out) {
  if (!block.is_map()) {
    diags.error(block.location(), "expected a mapping of topic names to settings, " + got(block),
                "write e.g. `topics: { orders: { partitions: 3 } }`");
    return;
  }
  for (const auto& [key, value] : block.entries()) {
    TopicSpec t;
    t.name = key.raw();
    t.where = key.location();
    if (auto st = log::validate_topic_name(t.name); !st) {
      diags.error(key.location(), st.error().message());
      continue;
    }
    if (t.name.starts_with("__")) {
      diags.error(key.location(), "topic names starting with '__' are kept for junction's own use");
      continue;
    }
    Config c = Config::bind(topic_schema(), value, diags);
    auto& tc = t.config;
    tc.partitions = static_cast<int32_t>(c.integer("partitions"));
    if (tc.partitions < 1 || tc.partitions > 1024) {
      diags.error(c.location("partitions"), "partitions must be between 1 and 1024");
    }
    tc.fsync =
        c.has("fsync") ? parse_fsync(c.str("fsync"), c.location("fsync"), diags) : default_fsync;
    if (c.has("retention")) tc.retention_age = c.duration("retention");
    if (c.has("retention_size")) tc.retention_bytes = c.size("retention_size");
    tc.compaction = c.boolean("compaction");
    tc.tombstone_retention = c.duration("tombstone_retention");
    tc.segment_bytes = c.size("segment_size");
    if (tc.segment_bytes < 1024 || tc.segment_bytes > (1ull << 30)) {
      diags.error(c.location("segment_size"), "segment_size must be between 1KiB and 1GiB");
    }
    tc.segment_age = c.duration("segment_age");
    tc.max_message_bytes = c.size("max_message_size");
    if (tc.max_message_bytes == 0 || tc.max_message_bytes > tc.segment_bytes) {
      diags.error(c.location("max_message_size"),
                  "max_message_size must be above 0 and at most segment_size");
    }
    if (c.has("max_size")) tc.max_bytes = c.size("max_size");
    if (auto comp = log::compression_from_string(c.str("compression"))) tc.compression = *comp;
    tc.dead_letter_topic = c.str("dead_letter");
    if (!tc.dead_letter_topic.empty()) {
      if (auto st = log::validate_topic_name(tc.dead_letter_topic); !st) {
        diags.error(c.location("dead_letter"), st.error().message());
      }
    }
    tc.max_deliveries = static_cast<int32_t>(c.integer("max_deliveries"));
    if (tc.max_deliveries < 1)
      diags.error(c.location("max_deliveries"), "max_deliveries must be at least 1");
    t.key = c.str("key");
    out.push_back(std::move(t));
  }
}

}  // namespace junction::spec
