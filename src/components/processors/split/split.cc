#include "components/processors/split/split.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cctype>

#include "script/engine.h"

namespace junction::components {
namespace {

namespace json = boost::json;

constexpr int64_t kMaxElementsLimit = 10'000'000;
constexpr size_t kMaxDepth = 1000;  // Boost.JSON's default (32) is too tight

// One message per element of an array. Every element is serialized as JSON,
// strings included ("a" stays "\"a\""): one rule for every element type,
// and the children of a JSON payload are JSON payloads themselves.
class SplitProcessor final : public flow::Processor {
 public:
  SplitProcessor(script::Engine* scripts, std::optional<int> chunk, size_t max_elements)
      : scripts_(scripts), chunk_(chunk), max_elements_(max_elements) {}

  Status process(Message& msg, MessageBatch& out) override {
    auto value = evaluate(msg);
    if (!value.ok()) return std::move(value).error();
    // Lua has one empty table for [] and {}: an expression such as
    // `msg.items or {}` means an empty list, so an empty object counts as one.
    if (value->is_object() && value->get_object().empty()) value->emplace_array();
    if (!value->is_array()) {
      return Error::invalid(
          fmt::format("split: expression did not yield an array (got {})", kind_name(*value)));
    }
    json::array& items = value->get_array();
    if (items.size() > max_elements_) {
      return Error::invalid(fmt::format("split: {} elements, more than max_elements ({})",
                                        items.size(), max_elements_));
    }

    // Nothing below fails, so the parent's ack can be handed over now.
    const size_t n = items.size();
    std::vector<Ack> acks = Ack::split(std::move(msg.ack), n);
    const std::string count = std::to_string(n);
    out.reserve(out.size() + n);
    for (size_t i = 0; i < n; ++i) {
      Message child;
      child.payload = Buffer(json::serialize(items[i]));
      child.key = msg.key;
      child.headers = msg.headers;
      child.headers.set("split-index", std::to_string(i));
      child.headers.set("split-count", count);
      child.timestamp_ms = msg.timestamp_ms;
      child.id = new_message_id();
      child.routes = msg.routes;
      // Every part answers the parent's sender; its slot keeps the first.
      child.reply = msg.reply;
      child.ack = std::move(acks[i]);
      out.push_back(std::move(child));
    }
    return ok_status();
  }

 private:
  // The default expression `msg` is the whole payload: parsed directly, it
  // skips a round trip through Lua tables.
  Result<json::value> evaluate(const Message& msg) {
    if (!chunk_) {
      json::parse_options options;
      options.max_depth = kMaxDepth;
      boost::system::error_code ec;
      json::value v = json::parse(msg.payload.view(), ec, {}, options);
      if (ec)
        return Error::invalid("split: expression did not yield an array (payload is not JSON)");
      return v;
    }
    auto v = scripts_->eval_json(*chunk_, msg);
    if (!v.ok()) return v.error().wrap("split");
    return v;
  }

  static std::string_view kind_name(const json::value& v) {
    switch (v.kind()) {
      case json::kind::null:
        return "null";
      case json::kind::bool_:
        return "a boolean";
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        return "a number";
      case json::kind::string:
        return "a string";
      case json::kind::object:
        return "an object";
      case json::kind::array:
        return "an array";
    }
    return "a value";
  }

  script::Engine* scripts_;
  std::optional<int> chunk_;  // empty: the expression is `msg`
  size_t max_elements_;
};

}  // namespace

void register_split_processor(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "split";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Splits an array into one message per element.";
  info.doc =
      "`path` is a Lua expression over `msg` (the decoded payload), `meta` and `key` that must "
      "yield an array. Each element becomes a message whose payload is the element as JSON "
      "(strings are quoted), with the parent's key and headers plus `split-index` and "
      "`split-count`. The parent is acknowledged once every element is; an empty array "
      "acknowledges it at once with nothing emitted.\n"
      "Example: `- split: msg.items`.";
  info.schema.primary = "path";
  info.schema.fields = {
      {"path", spec::FieldType::kString, "msg", "Lua expression yielding the array to split."},
      {"max_elements", spec::FieldType::kInt, "100000",
       "Largest array accepted; a larger one is an invalid error."},
  };
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    int64_t max = c.integer("max_elements");
    if (max < 1 || max > kMaxElementsLimit) {
      return Error::invalid(
          fmt::format("max_elements must be between 1 and {}, not {}", kMaxElementsLimit, max));
    }
    std::string_view path = c.str("path");
    while (!path.empty() && std::isspace(static_cast<unsigned char>(path.front()))) {
      path.remove_prefix(1);
    }
    while (!path.empty() && std::isspace(static_cast<unsigned char>(path.back()))) {
      path.remove_suffix(1);
    }
    if (path.empty()) return Error::invalid("path: an expression is required");
    std::optional<int> chunk;
    if (path != "msg") {
      if (!ctx.scripts) return Error::permanent("split: no script engine in this context");
      auto compiled = ctx.scripts->compile_expression(path, ctx.step.empty() ? "split" : ctx.step);
      if (!compiled.ok()) return compiled.error().wrap("path");
      chunk = *compiled;
    }
    return std::unique_ptr<flow::Processor>(
        std::make_unique<SplitProcessor>(ctx.scripts, chunk, static_cast<size_t>(max)));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
