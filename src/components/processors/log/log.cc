#include "components/processors/log/log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>

namespace junction::components {
namespace {

// Header names that may carry credentials. Matched as case-insensitive
// substrings so that "X-Api-Key", "Proxy-Authorization" and "session_token"
// are all caught; "api_key" is listed because both spellings are common.
constexpr std::array<std::string_view, 7> kSensitive = {
    "authorization", "token", "secret", "password", "cookie", "api-key", "api_key"};

bool sensitive(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto word : kSensitive) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

// Cuts at most `max` bytes, backing off to a UTF-8 character boundary so the
// log line stays valid text.
std::string_view truncate_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

// Control characters are escaped: a payload must not be able to forge log
// lines (a newline followed by a fake entry) in the text log format.
void append_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7F) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", u);
    }
  }
}

// Logs each message and passes it on unchanged: for debugging a flow.
class LogProcessor final : public flow::Processor {
 public:
  LogProcessor(spdlog::level::level_enum level, std::string prefix, uint64_t max_bytes,
               bool headers, std::string where)
      : level_(level),
        prefix_(std::move(prefix)),
        max_bytes_(max_bytes),
        headers_(headers),
        where_(std::move(where)) {}

  Status process(Message& msg, MessageBatch& out) override {
    // The default logger is looked up per call: logging may be set up again
    // (`junction run` configures it after components are built).
    auto* logger = spdlog::default_logger_raw();
    if (logger && logger->should_log(level_)) logger->log(level_, line(msg));
    out.push_back(std::move(msg));
    return ok_status();
  }

 private:
  std::string line(const Message& msg) const {
    std::string text = where_;
    if (!prefix_.empty()) text += (text.empty() ? "" : " ") + prefix_;
    if (!msg.key.empty()) {
      text += " key=";
      append_escaped(text, msg.key);
    }
    if (headers_) {
      text += " headers={";
      bool first = true;
      for (const auto& [name, value] : msg.headers) {
        if (!first) text += ", ";
        first = false;
        append_escaped(text, name);
        text += '=';
        append_escaped(text, sensitive(name) ? std::string_view("<redacted>") : value);
      }
      text += '}';
    }
    if (max_bytes_ > 0) {
      std::string_view payload = msg.payload.view();
      std::string_view shown = truncate_utf8(payload, max_bytes_);
      text += " payload=";
      append_escaped(text, shown);
      if (shown.size() < payload.size()) {
        fmt::format_to(std::back_inserter(text), "…({} bytes)", payload.size());
      }
    }
    if (!text.empty() && text.front() == ' ') text.erase(0, 1);
    return text;
  }

  spdlog::level::level_enum level_;
  std::string prefix_;
  uint64_t max_bytes_;
  bool headers_;
  std::string where_;  // "flow <name> <step>:", so a line says where it came from
};

std::optional<spdlog::level::level_enum> level_of(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return std::nullopt;
}

}  // namespace

void register_log_processor(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "log";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Logs each message (key, payload, optionally headers) and passes it on.";
  info.doc =
      "Each message is logged at `level` as `flow <flow> <step>: <message> key=... headers={...} "
      "payload=...`, the payload cut at `max_bytes` (marked `…(N bytes)` with its full size). "
      "Headers whose name contains authorization, token, secret, password, cookie or api-key are "
      "printed as `<redacted>`.\n"
      "Example: `- log: { level: debug, message: 'after map', headers: true }`.";
  info.schema.fields = {
      {"level",
       spec::FieldType::kString,
       "info",
       "trace, debug, info, warn or error.",
       false,
       {"trace", "debug", "info", "warn", "error"}},
      {"message", spec::FieldType::kString, "", "Text logged before each message."},
      {"max_bytes", spec::FieldType::kSize, "1KiB",
       "Payload bytes shown; the rest is cut. 0 = no payload."},
      {"headers", spec::FieldType::kBool, "false", "Also log headers (credentials redacted)."},
  };
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    auto level = level_of(c.str("level"));
    if (!level) {
      return Error::invalid("level must be trace, debug, info, warn or error, not '" +
                            c.str("level") + "'");
    }
    std::string where;
    if (!ctx.flow.empty()) where = fmt::format("flow {} {}:", ctx.flow, ctx.step);
    return std::unique_ptr<flow::Processor>(std::make_unique<LogProcessor>(
        *level, c.str("message"), c.size("max_bytes"), c.boolean("headers"), std::move(where)));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
