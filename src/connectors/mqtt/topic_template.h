#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/message.h"

namespace junction::connectors::mqtt {

// The topic an output publishes a message to, with placeholders filled from
// the message:
//   {{key}}            the message key
//   {{id}}             the message id
//   {{header.NAME}}    a header's value, e.g. {{header.x-junction-mqtt-topic}}
// A rendered topic must be a valid MQTT topic name: not empty, no '+' or '#'.
class TopicTemplate {
 public:
  static Result<TopicTemplate> parse(std::string_view text);

  // Fails `invalid` (the message goes to the dead letter) when a placeholder
  // has no value or the result is not a topic name.
  Result<std::string> render(const Message& m) const;

  bool is_constant() const { return parts_.size() == 1 && parts_[0].kind == Kind::kLiteral; }

 private:
  enum class Kind { kLiteral, kKey, kId, kHeader };
  struct Part {
    Kind kind = Kind::kLiteral;
    std::string text;  // the literal, or the header name
  };
  std::vector<Part> parts_;
};

// A topic name to publish to (no wildcards), per MQTT 3.1.1 section 4.7.
Status check_topic_name(std::string_view topic);

}  // namespace junction::connectors::mqtt
