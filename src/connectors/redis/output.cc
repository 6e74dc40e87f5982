#include "connectors/redis/output.h"

#include <fmt/format.h>

#include "components/common/template.h"
#include "connectors/common/codec.h"
#include "connectors/common/connector_metrics.h"
#include "connectors/common/key_source.h"
#include "connectors/redis/command.h"
#include "connectors/redis/endpoint.h"
#include "connectors/redis/link.h"
#include "connectors/redis/link_status.h"
#include "script/engine.h"

namespace junction::connectors::redis {
namespace {

using Clock = std::chrono::steady_clock;

struct OutputOptions {
  Endpoint endpoint;
  CommandOptions command;
  KeySource key;
  Codec codec = Codec::raw();
};

// Writes each message with one command; a batch is one pipeline (one round
// trip). The first `written` messages are those whose replies came back ok,
// in order: a pipeline that broke off reports the answered prefix, and the
// flow retries the rest (a command whose reply was lost may have run: at
// least once).
class RedisOutput final : public flow::Output {
 public:
  RedisOutput(OutputOptions o, const flow::ComponentContext& ctx)
      : o_(std::move(o)),
        metrics_(ctx, "redis"),
        status_(metrics_, ctx.flow, "redis output " + o_.endpoint.display()) {}

  asio::awaitable<Status> open() override {
    link_ = std::make_unique<Link>(o_.endpoint);
    metrics_.connecting();
    // A server that is down now may be up by the first write: only a
    // refused login fails the flow's start.
    cmds_ = {{"PING"}};
    PipelineResult r = co_await link_->run(&cmds_);
    if (!r.transport.ok()) {
      status_.down(r.transport.error().message());
      co_return ok_status();
    }
    if (r.replies[0].is_error()) co_return classify_error_reply(r.replies[0].str);
    status_.up();
    co_return ok_status();
  }

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    if (batch.empty()) co_return flow::WriteResult::all(0);
    cmds_.clear();
    std::optional<Error> rejected;  // the first message that cannot become a command
    for (const Message& m : batch) {
      auto cmd = command_for(m);
      if (!cmd) {
        rejected = cmd.error();
        break;
      }
      cmds_.push_back(std::move(*cmd));
    }
    if (cmds_.empty()) co_return flow::WriteResult{0, std::move(*rejected)};

    const auto start = Clock::now();
    PipelineResult r = co_await link_->run(&cmds_);
    size_t written = 0;
    std::optional<Error> failure;
    for (; written < r.replies.size(); ++written) {
      Status s = check_reply(o_.command.kind, r.replies[written]);
      if (!s.ok()) {
        failure = s.error();
        break;
      }
    }
    if (!r.transport.ok()) {
      status_.down(r.transport.error().message());
      if (!failure) failure = r.transport.error();
    } else {
      status_.up();
      metrics_.latency(Clock::now() - start);
    }
    size_t bytes = 0;
    for (size_t i = 0; i < written; ++i) bytes += batch[i].payload.size();
    metrics_.sent(written, bytes);
    if (failure) {
      if (r.transport.ok()) metrics_.error();  // down() counted a transport failure
      co_return flow::WriteResult{written, std::move(*failure)};
    }
    if (rejected) co_return flow::WriteResult{written, std::move(*rejected)};
    co_return flow::WriteResult::all(written);
  }

  asio::awaitable<void> close() override {
    link_.reset();  // joins its thread; a call in progress is bounded by timeouts
    metrics_.closed();
    co_return;
  }

 private:
  Result<Command> command_for(const Message& m) {
    auto key = o_.key.key_for(m);
    if (!key) return key.error();
    auto payload = o_.codec.encode(m.payload.view());
    if (!payload) return payload.error();
    return build_command(o_.command, std::move(*key), *payload);
  }

  OutputOptions o_;
  ConnectorMetrics metrics_;
  LinkStatus status_;
  std::unique_ptr<Link> link_;
  std::vector<Command> cmds_;  // the batch in progress; outlives each link call
};

}  // namespace

void register_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "redis";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Writes messages to Redis: XADD, PUBLISH, SET, HSET or LPUSH; pipelined.";
  info.doc =
      "`command` says what each message becomes: `xadd` appends an entry with the payload in "
      "`field` (trimmed to about `maxlen` entries when set), `publish` sends it to a channel, "
      "`set` stores it (expiring after `ttl` when set), `hset` sets the fields of a JSON object "
      "payload, `lpush` pushes it onto a list. `key` is the stream, channel or key, a template "
      "with {{counter}}, {{timestamp_ms}}, {{id}}, {{random}}; `key_expression`, a Lua "
      "expression over `msg`, `meta` and `key`, takes its place for a key per message.\n"
      "A batch goes as one pipeline and is reported written only as far as replies came back "
      "ok, in order (PUBLISH's receiver count is not checked: no subscriber is not a failure). "
      "A lost connection is transient (the flow retries, then dead-letters); WRONGTYPE, a "
      "syntax error or a payload `hset` cannot use is invalid (dead-lettered at once); OOM is "
      "overloaded. With Redis persistence off, 'written' means in memory.\n"
      "Example: `output: { redis: set, key_expression: '\"order:\" .. msg.id', ttl: 1h }`.";
  info.schema.primary = "command";
  info.schema.fields = endpoint_fields();
  std::vector<spec::Field> own = {
      {"command",
       spec::FieldType::kString,
       "",
       "What to do with each message.",
       true,
       {"xadd", "publish", "set", "hset", "lpush"}},
      {"key", spec::FieldType::kString, "", "Stream, channel or key (a template)."},
      {"key_expression", spec::FieldType::kString, "",
       "Lua expression for the key, e.g. \"order:\" .. msg.id; replaces `key`."},
      {"field", spec::FieldType::kString, "payload", "xadd: the entry field for the payload."},
      {"maxlen", spec::FieldType::kInt, "0", "xadd: trim the stream to about this length; 0 = no."},
      {"ttl", spec::FieldType::kDuration, "0s", "set: expire the key after this; 0s = never."},
  };
  info.schema.fields.insert(info.schema.fields.end(), own.begin(), own.end());
  auto codec_fields = Codec::fields(false, "raw");
  info.schema.fields.insert(info.schema.fields.end(), codec_fields.begin(), codec_fields.end());
  info.make_output = [](const spec::Config& c,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    OutputOptions o;
    auto endpoint = endpoint_from_config(c);
    if (!endpoint) return endpoint.error();
    o.endpoint = std::move(*endpoint);
    auto kind = command_kind(c.str("command"));
    if (!kind) return Error::invalid("command must be xadd, publish, set, hset or lpush");
    o.command.kind = *kind;
    o.command.field = c.str("field");
    if (o.command.field.empty()) return Error::invalid("field must not be empty");
    o.command.maxlen = c.integer("maxlen");
    if (o.command.maxlen < 0) return Error::invalid("maxlen must be 0 or more");
    o.command.ttl = c.duration("ttl");
    if (o.command.ttl < Duration::zero()) return Error::invalid("ttl must not be negative");
    if (c.has("maxlen") && o.command.kind != CommandKind::kXadd) {
      return Error::invalid("maxlen applies to command xadd only");
    }
    if (c.has("ttl") && o.command.kind != CommandKind::kSet) {
      return Error::invalid("ttl applies to command set only");
    }
    auto key = KeySource::from_config(c, ctx);
    if (!key) return key.error();
    o.key = std::move(*key);
    auto codec = Codec::from_config(c, ctx);
    if (!codec) return codec.error();
    o.codec = std::move(*codec);
    return std::unique_ptr<flow::Output>(std::make_unique<RedisOutput>(std::move(o), ctx));
  };
  registry.add(std::move(info));
}

}  // namespace junction::connectors::redis
