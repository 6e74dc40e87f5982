#include "components/outputs/topic/topic.h"

#include <map>

#include "components/common/log_bridge.h"
#include "fmt/format.h"
#include "log/store.h"
#include "script/engine.h"

namespace junction::components {
namespace {

// Appends messages to a topic of the embedded log. A batch is split by
// partition into one record batch per partition, appended together, and
// reported written once every append is durable by the topic's fsync policy.
class TopicOutput final : public flow::Output {
 public:
  struct Options {
    std::string topic;
    int key_chunk = -1;      // a Lua expression for the key, or -1
    std::string key_field;   // else the topic's JSON key field, when the message has no key
    int32_t partition = -1;  // fixed partition, or -1 to partition by key
  };

  TopicOutput(Options o, log::Store* store, script::Engine* scripts)
      : o_(std::move(o)), store_(store), scripts_(scripts) {}

  asio::awaitable<Status> open() override {
    if (!store_) co_return Error::permanent("the topic output needs the embedded log");
    topic_ = store_->find_topic(o_.topic);
    if (!topic_) co_return Error::invalid(fmt::format("topic '{}' does not exist", o_.topic));
    if (o_.partition >= topic_->partition_count()) {
      co_return Error::invalid(
          fmt::format("topic '{}' has {} partitions; partition {} is out of range", o_.topic,
                      topic_->partition_count(), o_.partition));
    }
    co_return ok_status();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    if (batch.empty()) co_return flow::WriteResult::all(0);
    // Group by partition, remembering each message's group.
    std::map<int32_t, size_t> group_of;
    std::vector<PartitionRecords> groups;
    std::vector<size_t> message_group(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      log::Record r = to_record(batch[i]);
      auto key = key_for(batch[i]);
      if (!key) co_return flow::WriteResult{i, key.error()};
      r.key = std::move(*key);
      const int32_t p = o_.partition >= 0 ? o_.partition
                        : r.key           ? topic_->choose_partition(std::string_view(*r.key))
                                          : topic_->choose_partition(std::nullopt);
      auto [it, inserted] = group_of.emplace(p, groups.size());
      if (inserted) groups.push_back({p, {}});
      groups[it->second].records.push_back(std::move(r));
      message_group[i] = it->second;
    }
    auto results = co_await produce_all(*store_, *topic_, std::move(groups));
    // The flow retries from the first message whose append failed.
    for (size_t i = 0; i < batch.size(); ++i) {
      const auto& r = results[message_group[i]];
      if (!r) co_return flow::WriteResult{i, r.error().wrap(fmt::format("topic {}", o_.topic))};
    }
    co_return flow::WriteResult::all(batch.size());
  }

 private:
  Result<std::optional<std::string>> key_for(const Message& m) {
    if (o_.key_chunk >= 0) {
      auto key = scripts_->eval_string(o_.key_chunk, m);
      if (!key) return key.error().wrap("key expression");
      if (key->empty()) return std::optional<std::string>();
      return std::optional<std::string>(std::move(*key));
    }
    if (!m.key.empty()) return std::optional<std::string>(m.key);
    if (!o_.key_field.empty()) return json_field(m.payload.view(), o_.key_field);
    return std::optional<std::string>();
  }

  Options o_;
  log::Store* store_;
  script::Engine* scripts_;
  log::Topic* topic_ = nullptr;
};

}  // namespace

void register_topic_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "topic";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Appends messages to a topic of the embedded log; written once durable.";
  info.doc =
      "Each message becomes a record: payload as value, key, headers, timestamp, and its id in "
      "the `x-junction-id` header. The partition comes from the key (murmur2, as Kafka's "
      "default partitioner, so a key lands on the same partition number as with Kafka "
      "clients), round robin without one. The key is, in order: the `key` expression if set, "
      "the message's key, the topic's `key` field of the JSON payload (see `topics:`).\n"
      "A batch is reported written only when the topic's fsync policy holds for it: with "
      "`fsync: always` (the default) it is on disk. A record over the topic's "
      "max_message_size is invalid (dead-lettered at once); a full topic or write queue is "
      "overloaded (retried).\n"
      "Example: `output: { topic: orders.events, key: msg.order_id }`.";
  info.schema.primary = "topic";
  info.schema.fields = {
      {"topic", spec::FieldType::kString, "", "Topic to append to (declared under `topics:`).",
       true},
      {"key", spec::FieldType::kString, "",
       "Lua expression for the record key, e.g. msg.customer.id."},
      {"partition", spec::FieldType::kInt, "-1", "Always this partition; -1 = by key."},
  };
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    TopicOutput::Options o;
    o.topic = c.str("topic");
    const auto* declared = ctx.find_topic(o.topic);
    if (!declared) {
      return Error::invalid(
          fmt::format("topic '{}' is not declared; add it under `topics:`", o.topic));
    }
    o.key_field = declared->key;
    o.partition = static_cast<int32_t>(c.integer("partition"));
    if (o.partition < -1 || o.partition >= declared->config.partitions) {
      return Error::invalid(fmt::format("partition must be -1 or below the topic's {} partitions",
                                        declared->config.partitions));
    }
    if (c.has("key") && !c.str("key").empty()) {
      auto chunk = ctx.scripts->compile_expression(c.str("key"), ctx.step + ".key");
      if (!chunk) return chunk.error();
      o.key_chunk = *chunk;
    }
    return std::unique_ptr<flow::Output>(std::make_unique<TopicOutput>(o, ctx.store, ctx.scripts));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
