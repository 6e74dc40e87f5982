#include "connectors/redis/lookup.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "components/common/template.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/common/key_source.h"
#include "connectors/redis/endpoint.h"
#include "connectors/redis/link.h"
#include "connectors/redis/link_status.h"
#include "connectors/redis/lookup_cache.h"
#include "script/engine.h"

namespace junction::connectors::redis {
namespace {

using Clock = std::chrono::steady_clock;

enum class OnMissing { kNull, kKeep, kFail };

struct LookupOptions {
  Endpoint endpoint;
  LookupKind kind = LookupKind::kGet;
  KeySource key;
  std::string field;  // hget
  std::string into;
  OnMissing on_missing = OnMissing::kNull;
  Duration cache_ttl{};
  size_t cache_size = 10'000;
};

// Looks a key up in Redis and sets a field of the message to the result.
// Asynchronous: the round trip runs on the processor's own connection thread
// while the flow's executor goes on with other work; several workers may
// wait at once (their commands queue on that thread).
class LookupProcessor final : public flow::Processor {
 public:
  LookupProcessor(LookupOptions o, const flow::ComponentContext& ctx)
      : o_(std::move(o)),
        metrics_(ctx, "redis"),
        status_(metrics_, ctx.flow, "redis lookup " + o_.endpoint.display()),
        cache_(o_.cache_ttl, o_.cache_size) {}

  bool is_async() const override { return true; }

  Status process(Message& /*msg*/, MessageBatch& /*out*/) override {
    return Error::permanent("redis_lookup runs only asynchronously");
  }

  asio::awaitable<Status> process_async(Message& msg, MessageBatch& out) override {
    auto key = key_for(msg);
    if (!key) co_return key.error();
    std::optional<std::string> value;
    if (const auto* cached = cache_.find(*key, Clock::now())) {
      value = *cached;
    } else {
      auto fetched = co_await fetch(*key);
      if (!fetched) co_return fetched.error();
      value = std::move(*fetched);
      cache_.put(*key, value, Clock::now());
    }
    if (!value) {
      if (o_.on_missing == OnMissing::kFail) {
        co_return Error::invalid(fmt::format("redis_lookup: no value at key '{}'", *key));
      }
      if (o_.on_missing == OnMissing::kKeep) {
        out.push_back(std::move(msg));
        co_return ok_status();
      }
    }
    Status s = merge_into(msg, o_.into, value);
    if (!s.ok()) co_return s;
    out.push_back(std::move(msg));
    co_return ok_status();
  }

 private:
  Result<std::string> key_for(const Message& m) {
    auto key = o_.key.key_for(m);
    if (key && key->empty()) return Error::invalid("redis_lookup: the key is empty");
    return key;
  }

  asio::awaitable<Result<std::optional<std::string>>> fetch(const std::string& key) {
    if (!link_) link_ = std::make_unique<Link>(o_.endpoint);
    // Per call, not a member: several lookups may be waiting at once.
    std::vector<Command> cmds(1);
    switch (o_.kind) {
      case LookupKind::kGet:
        cmds[0] = {"GET", key};
        break;
      case LookupKind::kHget:
        cmds[0] = {"HGET", key, o_.field};
        break;
      case LookupKind::kHgetall:
        cmds[0] = {"HGETALL", key};
        break;
    }
    const auto start = Clock::now();
    PipelineResult r = co_await link_->run(&cmds);
    if (!r.transport.ok()) {
      status_.down(r.transport.error().message());
      co_return r.transport.error();
    }
    status_.up();
    metrics_.latency(Clock::now() - start);
    auto value = lookup_value(o_.kind, r.replies[0]);
    if (!value) metrics_.error();
    co_return value;
  }

  LookupOptions o_;
  ConnectorMetrics metrics_;
  LinkStatus status_;
  LookupCache cache_;
  std::unique_ptr<Link> link_;  // on first use: building opens nothing
};

}  // namespace

Result<std::optional<std::string>> lookup_value(LookupKind kind, const Reply& reply) {
  if (reply.is_error()) return classify_error_reply(reply.str);
  if (reply.is_nil()) return std::optional<std::string>();
  if (kind == LookupKind::kHgetall) {
    if (!reply.is_array() || reply.elements.size() % 2 != 0) {
      return Error::permanent("redis: unexpected reply shape for HGETALL");
    }
    if (reply.elements.empty()) return std::optional<std::string>();
    boost::json::object obj;
    for (size_t i = 0; i < reply.elements.size(); i += 2) {
      obj[reply.elements[i].str] = reply.elements[i + 1].str;
    }
    return std::optional<std::string>(boost::json::serialize(obj));
  }
  if (reply.type != Reply::Type::kString) {
    return Error::permanent("redis: unexpected reply type for a lookup");
  }
  boost::system::error_code ec;
  (void)boost::json::parse(reply.str, ec);
  if (!ec) return std::optional<std::string>(reply.str);
  return std::optional<std::string>(boost::json::serialize(boost::json::string(reply.str)));
}

Status merge_into(Message& msg, std::string_view into, const std::optional<std::string>& json) {
  boost::system::error_code ec;
  boost::json::value payload = boost::json::parse(msg.payload.view(), ec);
  if (ec || !payload.is_object()) {
    return Error::invalid("redis_lookup needs a JSON object payload");
  }
  boost::json::value value = nullptr;
  if (json) value = boost::json::parse(*json);
  payload.as_object()[into] = std::move(value);
  msg.payload = Buffer(boost::json::serialize(payload));
  return ok_status();
}

void register_lookup(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "redis_lookup";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Enriches a message with a value looked up in Redis (GET, HGET, HGETALL).";
  info.doc =
      "The key is `key` (a template) or `key_expression` (Lua over `msg`, `meta`, `key`). The "
      "result is set as field `into` of the JSON object payload: a string value that is JSON "
      "as that JSON, any other as a string, HGETALL as an object of strings. A missing key "
      "sets null (`on_missing: null`), leaves the message as it is (`keep`), or fails it as "
      "invalid (`fail`: dead-lettered). A lost connection is transient: the flow retries. "
      "The round trip does not block the flow (the processor is asynchronous). With "
      "`cache_ttl`, results (and misses) are kept that long, `cache_size` of them at most, "
      "least recently used out first.\n"
      "Example: `- redis_lookup: { key_expression: '\"customer:\" .. msg.customer_id', "
      "into: customer, cache_ttl: 30s }`.";
  info.schema.fields = endpoint_fields();
  std::vector<spec::Field> own = {
      {"command",
       spec::FieldType::kString,
       "get",
       "The lookup.",
       false,
       {"get", "hget", "hgetall"}},
      {"key", spec::FieldType::kString, "", "Key (a template)."},
      {"key_expression", spec::FieldType::kString, "",
       "Lua expression for the key, e.g. \"customer:\" .. msg.customer_id; replaces `key`."},
      {"field", spec::FieldType::kString, "", "hget: the hash field."},
      {"into", spec::FieldType::kString, "", "Payload field that receives the result.", true},
      {"on_missing",
       spec::FieldType::kString,
       "null",
       "A key that does not exist: set null, keep the message as is, or fail it.",
       false,
       {"null", "keep", "fail"}},
      {"cache_ttl", spec::FieldType::kDuration, "0s", "Keep results this long; 0s = no cache."},
      {"cache_size", spec::FieldType::kInt, "10000", "Cached results at most."},
  };
  info.schema.fields.insert(info.schema.fields.end(), own.begin(), own.end());
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    LookupOptions o;
    auto endpoint = endpoint_from_config(c);
    if (!endpoint) return endpoint.error();
    o.endpoint = std::move(*endpoint);
    const std::string& command = c.str("command");
    o.kind = command == "hget"      ? LookupKind::kHget
             : command == "hgetall" ? LookupKind::kHgetall
                                    : LookupKind::kGet;
    o.field = c.str("field");
    if ((o.kind == LookupKind::kHget) == o.field.empty()) {
      return Error::invalid("field is needed by command hget, and only by it");
    }
    o.into = c.str("into");
    if (o.into.empty()) return Error::invalid("into must name a payload field");
    const std::string& missing = c.str("on_missing");
    o.on_missing = missing == "keep"   ? OnMissing::kKeep
                   : missing == "fail" ? OnMissing::kFail
                                       : OnMissing::kNull;
    o.cache_ttl = c.duration("cache_ttl");
    if (o.cache_ttl < Duration::zero()) return Error::invalid("cache_ttl must not be negative");
    const int64_t size = c.integer("cache_size");
    if (size < 1 || size > 10'000'000) return Error::invalid("cache_size must be 1..10000000");
    o.cache_size = static_cast<size_t>(size);
    auto key = KeySource::from_config(c, ctx);
    if (!key) return key.error();
    o.key = std::move(*key);
    return std::unique_ptr<flow::Processor>(std::make_unique<LookupProcessor>(std::move(o), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::redis
