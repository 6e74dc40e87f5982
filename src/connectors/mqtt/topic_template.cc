#include "connectors/mqtt/topic_template.h"

#include <mosquitto.h>

#include "fmt/format.h"

namespace junction::connectors::mqtt {

Status check_topic_name(std::string_view topic) {
  if (topic.empty()) return Error::invalid("an empty MQTT topic");
  if (topic.size() > 65535) return Error::invalid("an MQTT topic longer than 65535 bytes");
  // libmosquitto's own check (pure): no '+' or '#', valid UTF-8.
  std::string t(topic);
  if (mosquitto_pub_topic_check2(t.c_str(), t.size()) != MOSQ_ERR_SUCCESS ||
      mosquitto_validate_utf8(t.c_str(), static_cast<int>(t.size())) != MOSQ_ERR_SUCCESS) {
    return Error::invalid(fmt::format("'{}' is not an MQTT topic name (no '+' or '#')", t));
  }
  return ok_status();
}

Result<TopicTemplate> TopicTemplate::parse(std::string_view text) {
  TopicTemplate t;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({Kind::kLiteral, std::string(text.substr(pos))});
      break;
    }
    if (open > pos) t.parts_.push_back({Kind::kLiteral, std::string(text.substr(pos, open - pos))});
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Error::invalid(fmt::format("topic '{}': '{{{{' without '}}}}'", text));
    }
    const std::string_view name = text.substr(open + 2, close - open - 2);
    if (name == "key") {
      t.parts_.push_back({Kind::kKey, {}});
    } else if (name == "id") {
      t.parts_.push_back({Kind::kId, {}});
    } else if (name.starts_with("header.") && name.size() > 7) {
      t.parts_.push_back({Kind::kHeader, std::string(name.substr(7))});
    } else {
      return Error::invalid(fmt::format(
          "topic '{}': unknown placeholder {{{{{}}}}}; use key, id or header.NAME", text, name));
    }
    pos = close + 2;
  }
  if (t.parts_.empty()) return Error::invalid("topic must not be empty");
  // The literal parts alone must not carry wildcards: a wildcard can only be
  // subscribed to, never published to.
  for (const auto& p : t.parts_) {
    if (p.kind == Kind::kLiteral && p.text.find_first_of("+#") != std::string::npos) {
      return Error::invalid(fmt::format("topic '{}': '+' and '#' cannot be published to", text));
    }
  }
  if (t.is_constant()) {
    if (auto st = check_topic_name(t.parts_[0].text); !st) return std::move(st).error();
  }
  return t;
}

Result<std::string> TopicTemplate::render(const Message& m) const {
  std::string out;
  for (const auto& p : parts_) {
    switch (p.kind) {
      case Kind::kLiteral:
        out += p.text;
        break;
      case Kind::kKey:
        if (m.key.empty())
          return Error::invalid("the topic needs {{key}} but the message has none");
        out += m.key;
        break;
      case Kind::kId:
        out += m.id;
        break;
      case Kind::kHeader: {
        auto v = m.headers.get(p.text);
        if (!v || v->empty()) {
          return Error::invalid(
              fmt::format("the topic needs header '{}' but the message has none", p.text));
        }
        out += *v;
        break;
      }
    }
  }
  if (auto st = check_topic_name(out); !st) return std::move(st).error();
  return out;
}

}  // namespace junction::connectors::mqtt
