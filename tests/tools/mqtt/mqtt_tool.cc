// A small MQTT client for the e2e tests, written against libmosquitto alone
// so that it checks Junction independently.
//
//   junction_mqtt_tool pub --port P --topic T [--qos Q]
//       publishes each line of stdin as one message; exits 0 once every one
//       is acknowledged (QoS 1) or written (QoS 0).
//   junction_mqtt_tool sub --port P --topic FILTER --count N [--qos Q]
//                          [--timeout SECONDS] [--id CLIENT_ID] [--persist 1]
//       subscribes (MQTT 5, clean start) and prints each message as a JSON
//       line {"topic", "payload", "qos", "properties"}; exits 0 after N
//       messages, 1 on timeout. "subscribed" goes to stderr once the
//       subscription is in place. --persist 1 makes a persistent MQTT 3.1.1
//       session instead (with --count 0: create it for a later client).
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

struct Args {
  std::string mode;
  int port = 1883;
  std::string topic;
  int qos = 1;
  int count = 1;
  int timeout_s = 30;
  std::string id;
  bool persist = false;
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

struct State {
  Args args;
  int received = 0;
  int acked = 0;
  bool subscribed = false;
  bool connected = false;
};

void on_connect(mosquitto* m, void* p, int rc, int /*flags*/, const mosquitto_property*) {
  auto* s = static_cast<State*>(p);
  if (rc != 0) {
    std::cerr << "connect refused: " << mosquitto_reason_string(rc) << "\n";
    std::exit(2);
  }
  s->connected = true;
  if (s->args.mode == "sub") {
    mosquitto_subscribe_v5(m, nullptr, s->args.topic.c_str(), s->args.qos, 0, nullptr);
  }
}

void on_subscribe(mosquitto*, void* p, int, int, const int*, const mosquitto_property*) {
  static_cast<State*>(p)->subscribed = true;
  std::cerr << "subscribed" << std::endl;
}

void on_message(mosquitto*, void* p, const mosquitto_message* msg,
                const mosquitto_property* props) {
  auto* s = static_cast<State*>(p);
  std::string line = "{\"topic\":" + json_string(msg->topic) + ",\"payload\":" +
                     json_string(std::string(static_cast<const char*>(msg->payload),
                                             static_cast<size_t>(msg->payloadlen))) +
                     ",\"qos\":" + std::to_string(msg->qos) + ",\"properties\":{";
  bool first = true;
  for (const mosquitto_property* prop = props; prop; prop = mosquitto_property_next(prop)) {
    char* name = nullptr;
    char* value = nullptr;
    if (mosquitto_property_read_string_pair(prop, MQTT_PROP_USER_PROPERTY, &name, &value, false)) {
      line += std::string(first ? "" : ",") + json_string(name) + ":" + json_string(value);
      first = false;
      std::free(name);
      std::free(value);
    }
  }
  line += "}}";
  std::cout << line << std::endl;
  ++s->received;
}

void on_publish(mosquitto*, void* p, int, int, const mosquitto_property*) {
  ++static_cast<State*>(p)->acked;
}

int usage() {
  std::cerr << "usage: junction_mqtt_tool pub|sub --port P --topic T [--qos Q] [--count N] "
               "[--timeout S] [--id ID]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  State s;
  if (argc < 2) return usage();
  s.args.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      s.args.port = std::atoi(v.c_str());
    else if (k == "--topic")
      s.args.topic = v;
    else if (k == "--qos")
      s.args.qos = std::atoi(v.c_str());
    else if (k == "--count")
      s.args.count = std::atoi(v.c_str());
    else if (k == "--timeout")
      s.args.timeout_s = std::atoi(v.c_str());
    else if (k == "--id")
      s.args.id = v;
    else if (k == "--persist")
      s.args.persist = v == "1";
    else
      return usage();
  }
  if ((s.args.mode != "pub" && s.args.mode != "sub") || s.args.topic.empty()) return usage();

  mosquitto_lib_init();
  if (s.args.persist && s.args.id.empty()) return usage();
  mosquitto* m =
      mosquitto_new(s.args.id.empty() ? nullptr : s.args.id.c_str(), !s.args.persist, &s);
  // An MQTT 5 session ends with its connection unless given an expiry; a
  // 3.1.1 one without clean session lasts.
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                       s.args.persist ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5);
  mosquitto_connect_v5_callback_set(m, on_connect);
  mosquitto_subscribe_v5_callback_set(m, on_subscribe);
  mosquitto_message_v5_callback_set(m, on_message);
  mosquitto_publish_v5_callback_set(m, on_publish);
  if (mosquitto_connect(m, "127.0.0.1", s.args.port, 30) != MOSQ_ERR_SUCCESS) {
    std::cerr << "cannot connect to 127.0.0.1:" << s.args.port << "\n";
    return 2;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(s.args.timeout_s);
  auto loop_until = [&](auto done) {
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      int rc = mosquitto_loop(m, 100, 1);
      if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
        std::cerr << "loop: " << mosquitto_strerror(rc) << "\n";
        return false;
      }
    }
    return true;
  };
  if (!loop_until([&] { return s.connected; })) return 1;
  int status = 0;
  if (s.args.mode == "pub") {
    std::string line;
    int sent = 0;
    while (std::getline(std::cin, line)) {
      if (mosquitto_publish_v5(m, nullptr, s.args.topic.c_str(), static_cast<int>(line.size()),
                               line.data(), s.args.qos, false, nullptr) != MOSQ_ERR_SUCCESS) {
        std::cerr << "publish failed\n";
        return 1;
      }
      ++sent;
      mosquitto_loop(m, 0, 1);
    }
    status = loop_until([&] { return s.acked >= sent; }) ? 0 : 1;
  } else {
    status = loop_until([&] { return s.subscribed && s.received >= s.args.count; }) ? 0 : 1;
  }
  mosquitto_disconnect(m);
  mosquitto_loop(m, 100, 1);
  mosquitto_destroy(m);
  mosquitto_lib_cleanup();
  return status;
}
