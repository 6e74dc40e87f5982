#include "components/outputs/reply/reply.h"

#include "observe/metrics.h"

namespace junction::components {
namespace {

// Hands each message back to the request it came from (a gateway route whose
// target is this flow): the message as it reached the outputs is the
// response. Benthos calls this `sync_response`. Writing is immediate; the
// response goes out when the flow settles the message, so an output after
// this one that fails still turns it into an error.
class ReplyOutput final : public flow::Output {
 public:
  explicit ReplyOutput(observe::Counter& unanswerable) : unanswerable_(unanswerable) {}

  asio::awaitable<flow::WriteResult> write(std::span<const Message> batch) override {
    for (const auto& msg : batch) {
      if (msg.reply) {
        msg.reply.answer(msg.payload, msg.headers);
      } else {
        // Nobody waits for it (it did not come from a request): nothing to
        // answer, and nothing to retry.
        unanswerable_.inc();
      }
    }
    co_return flow::WriteResult::all(batch.size());
  }

 private:
  observe::Counter& unanswerable_;
};

}  // namespace

void register_reply_output(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "reply";
  info.kind = spec::ComponentKind::kOutput;
  info.summary = "Answers the gateway request a message came from with the message itself.";
  info.doc =
      "In a flow whose input is `gateway`, the message as it reaches this output becomes the "
      "HTTP response, sent once the flow settled the message (every output took it). The body "
      "is the payload; metadata shapes the rest: `http_status` (200..599, default 200), "
      "`http_content_type` (default application/json) and `http_header_<Name>` for each "
      "response header, e.g. in a map `meta.http_status = 201` and "
      "`meta['http_header_Cache-Control'] = 'no-store'`. Request headers of these names never "
      "reach the flow. A message that reaches no `reply` output (filtered, routed elsewhere) "
      "is answered 204; one that the flow fails or dead-letters gets a problem response by its "
      "error class. The first reply for a message wins (after a split, the first part). "
      "Messages that did not come from the gateway are accepted and counted in "
      "junction_reply_unanswerable_total.\n"
      "Example: `output: { reply: {} }`, or beside other outputs: "
      "`outputs: { audit: { file: audit.jsonl }, answer: { reply: {} } }`.";
  info.make_output = [](const spec::Config&,
                        flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Output>> {
    auto& unanswerable = ctx.metrics->counter(
        "junction_reply_unanswerable_total",
        "messages a reply output got that no request waits for", {{"flow", ctx.flow}});
    return std::unique_ptr<flow::Output>(std::make_unique<ReplyOutput>(unanswerable));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
