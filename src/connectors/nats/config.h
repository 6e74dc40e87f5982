#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "connectors/common/codec.h"
#include "core/error.h"
#include "core/units.h"
#include "spec/schema.h"

namespace junction::connectors::nats {

// Where and how to connect; shared by the input and the output.
struct ConnectionOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::string name;  // client name shown by the server: junction/<flow>/<step>
  Duration reconnect_wait = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(5);  // connect and JetStream API calls
  std::string user;
  std::string password;
  std::string token;
};

// An optional stream this component creates when missing (tests, dev).
struct StreamOptions {
  bool create = false;
  std::string name;
  std::vector<std::string> subjects;
};

struct InputOptions {
  ConnectionOptions connection;
  StreamOptions stream;  // stream.name is always set for the input
  std::string subject;   // the consumer's filter subject
  std::string durable;
  int batch = 100;
  int max_in_flight = 1000;
  Duration fetch_wait = std::chrono::seconds(1);
  Duration ack_wait = std::chrono::seconds(30);
  int max_deliver = 5;  // -1 = unbounded
  Duration nak_delay = std::chrono::seconds(1);
  Duration nak_delay_max = std::chrono::seconds(60);
  std::string dead_letter;  // subject; empty = terminate only
};

struct OutputOptions {
  ConnectionOptions connection;
  StreamOptions stream;
  int max_pending = 1024;
  Duration publish_timeout = std::chrono::seconds(5);
};

std::vector<spec::Field> connection_fields();
std::vector<spec::Field> input_fields();
std::vector<spec::Field> output_fields();

// Read a validated Config; a bad value is Error::invalid with the field's name.
// The durable defaults to junction_<flow> when `durable` is not set.
Result<InputOptions> parse_input(const spec::Config& c, const std::string& client_name,
                                 const std::string& flow);
// The subject itself is read by SubjectSource; `fixed_subject` is what it
// found, empty when the subject depends on the message.
Result<OutputOptions> parse_output(const spec::Config& c, const std::string& client_name,
                                   const std::string& fixed_subject);

// A NATS subject: dot-separated tokens, no whitespace; wildcards only where
// allowed (`*` for one token, `>` as the last token).
Status check_subject(const std::string& subject, bool wildcards, const char* field);

}  // namespace junction::connectors::nats
