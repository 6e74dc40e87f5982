#include "connectors/nats/config.h"

#include <fmt/format.h>

#include <string_view>

namespace junction::connectors::nats {
namespace {

using spec::Field;
using spec::FieldType;

Result<ConnectionOptions> parse_connection(const spec::Config& c, const std::string& client_name) {
  ConnectionOptions o;
  o.url = c.str("url");
  if (o.url.empty()) return Error::invalid("url must not be empty");
  o.name = client_name;
  o.reconnect_wait = c.duration("reconnect_wait");
  o.timeout = c.duration("timeout");
  if (o.reconnect_wait.count() <= 0 || o.timeout.count() <= 0) {
    return Error::invalid("reconnect_wait and timeout must be above zero");
  }
  o.user = c.str("user");
  o.password = c.str("password");
  o.token = c.str("token");
  if (!o.token.empty() && !o.user.empty()) {
    return Error::invalid("set either token or user/password, not both");
  }
  return o;
}

Result<StreamOptions> parse_stream(const spec::Config& c, bool name_required) {
  StreamOptions s;
  s.name = c.str("stream");
  s.create = c.boolean("create_stream");
  s.subjects = c.strings("stream_subjects");
  if (name_required && s.name.empty()) return Error::invalid("stream must be set");
  if (s.create && s.name.empty()) return Error::invalid("create_stream needs `stream`");
  if (s.name.find_first_of(" \t.*>") != std::string::npos) {
    return Error::invalid(fmt::format("stream '{}': no spaces, dots, * or >", s.name));
  }
  for (const auto& subject : s.subjects) {
    if (auto st = check_subject(subject, true, "stream_subjects"); !st) return st.error();
  }
  return s;
}

}  // namespace

Status check_subject(const std::string& subject, bool wildcards, const char* field) {
  if (subject.empty()) return Error::invalid(fmt::format("{} must not be empty", field));
  std::string_view rest = subject;
  while (true) {
    const size_t dot = rest.find('.');
    const std::string_view token = rest.substr(0, dot);
    const bool last = dot == std::string_view::npos;
    const bool bad_wildcard =
        (token == ">" && !last) || (token.size() > 1 && token.find_first_of("*>") != token.npos);
    if (token.empty() || token.find_first_of(" \t\r\n") != token.npos || bad_wildcard ||
        (!wildcards && (token == "*" || token == ">"))) {
      return Error::invalid(fmt::format("{}: '{}' is not a valid NATS subject{}", field, subject,
                                        wildcards ? "" : " (no wildcards here)"));
    }
    if (last) break;
    rest.remove_prefix(dot + 1);
  }
  return ok_status();
}

std::vector<Field> connection_fields() {
  return {
      {"url", FieldType::kString, "nats://127.0.0.1:4222",
       "Server URL(s), comma separated: nats://host:4222."},
      {"user", FieldType::kString, "", "User name."},
      {"password", FieldType::kString, "", "Password.", false, {}, true},
      {"token", FieldType::kString, "", "Authentication token.", false, {}, true},
      {"reconnect_wait", FieldType::kDuration, "1s",
       "Pause between reconnect attempts; reconnects never give up."},
      {"timeout", FieldType::kDuration, "5s", "Connect and JetStream API call timeout."},
      {"create_stream", FieldType::kBool, "false",
       "Create `stream` with `stream_subjects` when it does not exist (tests, dev)."},
      {"stream_subjects", FieldType::kStringList, "",
       "Subjects of the stream that create_stream creates."},
  };
}

std::vector<Field> input_fields() {
  std::vector<Field> f = {
      {"stream", FieldType::kString, "", "JetStream stream to consume.", true},
      {"subject", FieldType::kString, "",
       "Subjects to consume (the consumer's filter; wildcards allowed), e.g. orders.>.", true},
      {"durable", FieldType::kString, "", "Durable consumer name; default: junction_<flow>."},
      {"batch", FieldType::kInt, "100", "Messages per fetch (pull request)."},
      {"max_in_flight", FieldType::kInt, "1000", "Fetched, unsettled messages at most."},
      {"fetch_wait", FieldType::kDuration, "1s", "How long a fetch waits for messages."},
      {"ack_wait", FieldType::kDuration, "30s",
       "Redelivered by the server when not acked in this time."},
      {"max_deliver", FieldType::kInt, "5", "Deliveries of a message at most; -1 = unbounded."},
      {"nak_delay", FieldType::kDuration, "1s",
       "Redelivery delay after the first transient failure; doubles per delivery."},
      {"nak_delay_max", FieldType::kDuration, "60s", "Redelivery delay at most."},
      {"dead_letter", FieldType::kString, "",
       "Subject (in some stream) that failed messages are published to before they are "
       "terminated."},
  };
  for (auto& field : connection_fields()) f.push_back(std::move(field));
  for (auto& field : Codec::fields(true)) f.push_back(std::move(field));
  return f;
}

std::vector<Field> output_fields() {
  std::vector<Field> f = {
      {"subject", FieldType::kString, "",
       "Subject to publish to (a stream must capture it); a template with {{counter}}, "
       "{{timestamp_ms}}, {{id}}, {{random}}."},
      {"subject_expression", FieldType::kString, "",
       "Lua expression for a subject per message, e.g. \"orders.\" .. msg.region; replaces "
       "`subject`."},
      {"stream", FieldType::kString, "", "Stream for create_stream; optional otherwise."},
      {"max_pending", FieldType::kInt, "1024", "Publishes awaiting their JetStream ack at most."},
      {"publish_timeout", FieldType::kDuration, "5s",
       "A publish not acked in this time fails (transient)."},
  };
  for (auto& field : connection_fields()) f.push_back(std::move(field));
  for (auto& field : Codec::fields(true)) f.push_back(std::move(field));
  return f;
}

Result<InputOptions> parse_input(const spec::Config& c, const std::string& client_name,
                                 const std::string& flow) {
  InputOptions o;
  auto conn = parse_connection(c, client_name);
  if (!conn) return conn.error();
  o.connection = std::move(*conn);
  auto stream = parse_stream(c, true);
  if (!stream) return stream.error();
  o.stream = std::move(*stream);
  o.subject = c.str("subject");
  if (auto st = check_subject(o.subject, true, "subject"); !st) return st.error();
  if (o.stream.subjects.empty()) o.stream.subjects = {o.subject};
  o.durable = c.str("durable");
  if (o.durable.empty()) o.durable = "junction_" + flow;
  if (o.durable.find_first_of(" \t.*>") != std::string::npos) {
    return Error::invalid(fmt::format("durable '{}': no spaces, dots, * or >", o.durable));
  }
  const int64_t batch = c.integer("batch");
  const int64_t in_flight = c.integer("max_in_flight");
  const int64_t max_deliver = c.integer("max_deliver");
  if (batch < 1 || batch > 10'000) return Error::invalid("batch must be 1..10000");
  if (in_flight < batch || in_flight > 1'000'000) {
    return Error::invalid("max_in_flight must be batch..1000000");
  }
  if (max_deliver == 0 || max_deliver < -1 || max_deliver > 1'000'000) {
    return Error::invalid("max_deliver must be -1 (unbounded) or 1..1000000");
  }
  o.batch = static_cast<int>(batch);
  o.max_in_flight = static_cast<int>(in_flight);
  o.max_deliver = static_cast<int>(max_deliver);
  o.fetch_wait = c.duration("fetch_wait");
  o.ack_wait = c.duration("ack_wait");
  o.nak_delay = c.duration("nak_delay");
  o.nak_delay_max = c.duration("nak_delay_max");
  if (o.fetch_wait.count() <= 0 || o.ack_wait.count() <= 0) {
    return Error::invalid("fetch_wait and ack_wait must be above zero");
  }
  if (o.nak_delay.count() < 0 || o.nak_delay_max < o.nak_delay) {
    return Error::invalid("nak_delay must be >= 0 and nak_delay_max >= nak_delay");
  }
  o.dead_letter = c.str("dead_letter");
  if (!o.dead_letter.empty()) {
    if (auto st = check_subject(o.dead_letter, false, "dead_letter"); !st) return st.error();
  }
  return o;
}

Result<OutputOptions> parse_output(const spec::Config& c, const std::string& client_name,
                                   const std::string& fixed_subject) {
  OutputOptions o;
  auto conn = parse_connection(c, client_name);
  if (!conn) return conn.error();
  o.connection = std::move(*conn);
  auto stream = parse_stream(c, false);
  if (!stream) return stream.error();
  o.stream = std::move(*stream);
  if (o.stream.subjects.empty() && !fixed_subject.empty()) o.stream.subjects = {fixed_subject};
  if (o.stream.create && o.stream.subjects.empty()) {
    return Error::invalid("create_stream with a subject per message needs stream_subjects");
  }
  const int64_t pending = c.integer("max_pending");
  if (pending < 1 || pending > 1'000'000) return Error::invalid("max_pending must be 1..1000000");
  o.max_pending = static_cast<int>(pending);
  o.publish_timeout = c.duration("publish_timeout");
  if (o.publish_timeout.count() <= 0) return Error::invalid("publish_timeout must be above zero");
  return o;
}

}  // namespace junction::connectors::nats
