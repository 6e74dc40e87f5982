#include <fmt/format.h>
#include <unistd.h>

#include <climits>

#include "connectors/redis/stream_input.h"

namespace junction::connectors::redis {
namespace {

// A consumer name that is the same after a restart, so that the restarted
// process finds (and redelivers) the entries its predecessor left pending.
std::string default_consumer(const std::string& flow) {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return flow;
  return fmt::format("{}-{}", host, flow);
}

}  // namespace

std::vector<spec::Field> stream_input_fields() {
  std::vector<spec::Field> f = endpoint_fields();
  std::vector<spec::Field> own = {
      {"stream", spec::FieldType::kString, "", "Stream key to consume.", true},
      {"group", spec::FieldType::kString, "", "Consumer group; default: the flow's name."},
      {"consumer", spec::FieldType::kString, "",
       "Consumer name, stable across restarts; default: <hostname>-<flow>."},
      {"create_group", spec::FieldType::kBool, "true",
       "Create the group (and the stream, MKSTREAM) when missing."},
      {"start", spec::FieldType::kString, "0",
       "Where a group created here starts: 0 (the whole stream), $ (new entries) or an id."},
      {"field", spec::FieldType::kString, "payload",
       "Entry field holding the payload; entries without it become a JSON object."},
      {"batch", spec::FieldType::kInt, "100", "Entries read per XREADGROUP (COUNT)."},
      {"block", spec::FieldType::kDuration, "1s", "How long one XREADGROUP waits for entries."},
      {"max_in_flight", spec::FieldType::kInt, "1000", "Delivered, unsettled entries at most."},
      {"max_deliveries", spec::FieldType::kInt, "5",
       "Deliveries of an entry before it goes to the dead-letter stream."},
      {"dead_letter", spec::FieldType::kString, "", "Dead-letter stream; default: <stream>.dlq."},
      {"claim_idle", spec::FieldType::kDuration, "0s",
       "Take over other consumers' entries pending this long (XAUTOCLAIM); 0s = never."},
  };
  f.insert(f.end(), own.begin(), own.end());
  auto codec = Codec::fields(false);
  f.insert(f.end(), codec.begin(), codec.end());
  return f;
}

Result<StreamInputOptions> stream_input_options(const spec::Config& c,
                                                const flow::ComponentContext& ctx) {
  StreamInputOptions o;
  auto endpoint = endpoint_from_config(c);
  if (!endpoint) return endpoint.error();
  o.endpoint = std::move(*endpoint);
  o.stream = c.str("stream");
  if (o.stream.empty()) return Error::invalid("stream must not be empty");
  o.group = c.has("group") ? c.str("group") : ctx.flow;
  if (o.group.empty()) return Error::invalid("group must not be empty");
  o.consumer = c.has("consumer") ? c.str("consumer") : default_consumer(ctx.flow);
  if (o.consumer.empty()) return Error::invalid("consumer must not be empty");
  o.create_group = c.boolean("create_group");
  o.start_id = c.str("start");
  if (o.start_id.empty()) return Error::invalid("start must be 0, $ or an entry id");
  o.format.payload_field = c.str("field");
  if (o.format.payload_field.empty()) return Error::invalid("field must not be empty");
  auto codec = Codec::from_config(c, ctx);
  if (!codec) return codec.error();
  o.format.codec = std::move(*codec);

  const int64_t batch = c.integer("batch");
  const int64_t in_flight = c.integer("max_in_flight");
  const int64_t deliveries = c.integer("max_deliveries");
  if (batch < 1 || batch > 10'000) return Error::invalid("batch must be 1..10000");
  if (in_flight < 1 || in_flight > 1'000'000) {
    return Error::invalid("max_in_flight must be 1..1000000");
  }
  if (deliveries < 1 || deliveries > 1'000'000) {
    return Error::invalid("max_deliveries must be 1..1000000");
  }
  o.batch = static_cast<size_t>(batch);
  o.max_in_flight = static_cast<size_t>(in_flight);
  o.max_deliveries = deliveries;
  o.block = c.duration("block");
  if (o.block < std::chrono::milliseconds(1) || o.block > std::chrono::minutes(1)) {
    return Error::invalid("block must be 1ms..1m");
  }
  o.claim_idle = c.duration("claim_idle");
  if (o.claim_idle < Duration::zero()) return Error::invalid("claim_idle must not be negative");
  if (o.claim_idle > Duration::zero() && o.claim_idle < std::chrono::milliseconds(1)) {
    return Error::invalid("claim_idle must be 0s or at least 1ms");
  }
  o.dead_letter = c.has("dead_letter") ? c.str("dead_letter") : o.stream + ".dlq";
  if (o.dead_letter.empty() || o.dead_letter == o.stream) {
    return Error::invalid("dead_letter must name a stream other than `stream`");
  }
  return o;
}

void register_stream_input(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "redis_stream";
  info.kind = spec::ComponentKind::kInput;
  info.summary = "Consumes a Redis stream as a member of a consumer group (XREADGROUP).";
  info.doc =
      "Each entry becomes a message: the value of its `field` (default `payload`) when it has "
      "one, decoded per `format`, with the other fields as headers; else the whole entry as a "
      "JSON object of strings. Headers: `x-junction-redis-id` (the entry id), "
      "`x-junction-redis-stream`, `x-junction-redis-deliveries`.\n"
      "An entry is XACKed only after the flow settled its message ok. A failed entry stays "
      "pending and is delivered again (after a short backoff), with no ordering guarantee; "
      "once it was delivered `max_deliveries` times it is added to the dead-letter stream "
      "(`<stream>.dlq`) with its fields plus `reason`, `source_stream`, `source_id` and "
      "`deliveries`, and XACKed, both in one MULTI/EXEC. At start and after a reconnect the "
      "consumer's own pending entries are delivered again first, so a crash loses nothing; "
      "keep `consumer` stable across restarts. With `claim_idle`, entries that other (dead) "
      "consumers of the group left pending that long are taken over.\n"
      "Example: `input: { redis_stream: orders, url: \"redis://:${REDIS_PASSWORD}@cache:6379\", "
      "group: billing }`.";
  info.schema.primary = "stream";
  info.schema.fields = stream_input_fields();
  info.make_input = [](const spec::Config& c,
                       flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Input>> {
    auto o = stream_input_options(c, ctx);
    if (!o) return o.error();
    return make_stream_input(std::move(*o), ctx);
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::redis
