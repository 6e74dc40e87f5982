#include "components/processors/map/map.h"

#include <fstream>
#include <sstream>

#include "components/processors/script_chain/script_chain.h"
#include "script/engine.h"

namespace junction::components {
namespace {

// Transforms each message with a Lua script, compiled once per flow.
class MapProcessor final : public flow::Processor, public ScriptStepSource {
 public:
  MapProcessor(script::Engine& engine, int chunk) : engine_(engine), chunk_(chunk) {}

  Status process(Message& msg, MessageBatch& out) override {
    auto kept = engine_.run_map(chunk_, msg);
    if (!kept.ok()) return std::move(kept).error();
    if (*kept) {
      out.push_back(std::move(msg));
    } else {
      msg.ack.ok();  // the script dropped it on purpose
    }
    return ok_status();
  }

  script::Engine::Step script_step() const override { return {chunk_, false}; }

 private:
  script::Engine& engine_;
  int chunk_;
};

Result<std::string> read_script(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::invalid("cannot read script file '" + path.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void register_map_processor(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "map";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Transforms each message with a sandboxed Lua script.";
  info.doc =
      "The script sees `msg` (the payload decoded from JSON, or the raw string when it is not "
      "JSON), `meta` (headers, writable), `key` (writable) and `out`, which starts as `msg`. The "
      "result is what the script returns, else `out`; a table becomes JSON, a string becomes the "
      "payload as is, and `out = nil` drops the message. `json.encode`, `json.decode` and "
      "`json.null` are available; io, os (but time, clock, date), require, load and debug are "
      "not. Each message may run at most `max_instructions` Lua instructions.\n\n"
      "Example:\n\n    - map: |\n        out.total = msg.qty * msg.price\n        meta.priority = "
      "out.total > 1000 and 'high' or 'normal'";
  info.schema.primary = "script";
  info.schema.fields = {
      {"script", spec::FieldType::kString, "", "Lua source (use either this or `file`)."},
      {"file", spec::FieldType::kString, "", "Path to a Lua file, relative to the spec."},
  };
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    if (c.has("script") == c.has("file")) {
      return Error::invalid("map needs exactly one of `script` or `file`");
    }
    std::string source = c.str("script");
    std::string name = ctx.step;
    if (c.has("file")) {
      auto path = ctx.resolve(c.str("file"));
      auto text = read_script(path);
      if (!text.ok()) return std::move(text).error();
      source = std::move(text).value();
      name = path.filename().string();
    }
    auto chunk = ctx.scripts->compile_map(source, name);
    if (!chunk.ok()) return std::move(chunk).error();
    return std::unique_ptr<flow::Processor>(std::make_unique<MapProcessor>(*ctx.scripts, *chunk));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
