#pragma once

#include <string>

#include "connectors/common/key_source.h"
#include "core/error.h"
#include "core/message.h"
#include "flow/registry.h"
#include "spec/schema.h"

namespace junction::connectors::nats {

// Where the nats output publishes a message: `subject`, a template, or
// `subject_expression`, a Lua expression over the message, computed as the
// redis output computes its key. A fixed subject is checked once, when the
// spec loads; one that depends on the message is checked per message, and
// one that comes out empty, with whitespace or with a wildcard is an
// invalid error (the flow dead-letters the message with that reason).
class SubjectSource {
 public:
  static Result<SubjectSource> from_config(const spec::Config& c, flow::ComponentContext& ctx);

  Result<std::string> subject_for(const Message& m);
  // The subject of every message, or empty when it depends on the message.
  const std::string& fixed() const { return fixed_; }
  // How errors name the destination: the subject, or how it is computed.
  const std::string& label() const { return label_; }

 private:
  KeySource source_;
  std::string fixed_;
  std::string label_;
};

}  // namespace junction::connectors::nats
