// junction_nats_tool: a small JetStream client for the e2e tests, written
// straight against libnats so that it shares no code with the connector it
// checks.
//
//   junction_nats_tool stream URL NAME SUBJECT...    create a file stream (if missing)
//   junction_nats_tool pub URL SUBJECT [--hex] [--id-prefix P] [--header K:V]...
//       publishes each stdin line (hex-decoded with --hex) and waits for its
//       JetStream ack; --id-prefix sets Nats-Msg-Id to P<line number>
//   junction_nats_tool get URL STREAM
//       prints every stored message as a JSON line: seq, subject, headers and
//       data, whose bytes >= 0x80 are written as \u00XX (Latin-1), so a
//       reader gets the exact bytes back with .encode("latin-1")
//   junction_nats_tool consumer URL STREAM DURABLE
//       prints the consumer's counts as JSON
#include <nats/nats.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

bool check(natsStatus s, const char* what, jsErrCode code = static_cast<jsErrCode>(0)) {
  if (s == NATS_OK) return true;
  std::fprintf(stderr, "junction_nats_tool: %s: %s (JetStream error %d) %s\n", what,
               natsStatus_GetText(s), static_cast<int>(code), nats_GetLastError(nullptr));
  return false;
}

std::string json_string(const char* data, size_t size) {
  std::string out = "\"";
  char buf[8];
  for (size_t i = 0; i < size; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_string(const char* s) {
  return json_string(s, std::strlen(s));
}

bool from_hex(const std::string& hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    out += static_cast<char>(std::strtol(hex.substr(i, 2).c_str(), nullptr, 16));
  }
  return true;
}

int create_stream(jsCtx* js, int argc, char** argv) {
  if (argc < 5) return 2;
  std::vector<const char*> subjects(argv + 4, argv + argc);
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = argv[3];
  sc.Subjects = subjects.data();
  sc.SubjectsLen = static_cast<int>(subjects.size());
  sc.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_AddStream(&si, js, &sc, nullptr, &code);
  jsStreamInfo_Destroy(si);
  return s == NATS_OK || code == JSStreamNameExistErr ? 0 : (check(s, "add stream", code), 1);
}

int publish(jsCtx* js, int argc, char** argv) {
  if (argc < 4) return 2;
  const char* subject = argv[3];
  bool hex = false;
  std::string id_prefix;
  std::vector<std::pair<std::string, std::string>> headers;
  for (int i = 4; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--hex") {
      hex = true;
    } else if (arg == "--id-prefix" && i + 1 < argc) {
      id_prefix = argv[++i];
    } else if (arg == "--header" && i + 1 < argc) {
      const std::string kv = argv[++i];
      const size_t colon = kv.find(':');
      if (colon == std::string::npos) return 2;
      headers.emplace_back(kv.substr(0, colon), kv.substr(colon + 1));
    } else {
      return 2;
    }
  }
  std::string line;
  std::string payload;
  long n = 0;
  while (std::getline(std::cin, line)) {
    if (hex) {
      if (!from_hex(line, payload)) return 2;
    } else {
      payload = line;
    }
    natsMsg* msg = nullptr;
    if (!check(natsMsg_Create(&msg, subject, nullptr, payload.data(),
                              static_cast<int>(payload.size())),
               "message")) {
      return 1;
    }
    for (const auto& [k, v] : headers) natsMsgHeader_Add(msg, k.c_str(), v.c_str());
    if (!id_prefix.empty()) {
      natsMsgHeader_Set(msg, "Nats-Msg-Id", (id_prefix + std::to_string(n)).c_str());
    }
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus s = js_PublishMsg(&ack, js, msg, nullptr, &code);
    jsPubAck_Destroy(ack);
    natsMsg_Destroy(msg);
    if (!check(s, "publish", code)) return 1;
    ++n;
  }
  std::printf("%ld\n", n);
  return 0;
}

void print_message(natsMsg* msg, uint64_t seq) {
  std::string out = "{\"seq\":" + std::to_string(seq) +
                    ",\"subject\":" + json_string(natsMsg_GetSubject(msg)) + ",\"headers\":{";
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
    for (int k = 0; k < count; ++k) {
      const char* value = nullptr;
      natsMsgHeader_Get(msg, keys[k], &value);
      out += (k ? "," : "") + json_string(keys[k]) + ":" + json_string(value ? value : "");
    }
    std::free(static_cast<void*>(keys));
  }
  out += "},\"data\":" +
         json_string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))) + "}";
  std::puts(out.c_str());
}

int get(jsCtx* js, int argc, char** argv) {
  if (argc != 4) return 2;
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (!check(js_GetStreamInfo(&si, js, argv[3], nullptr, &code), "stream info", code)) return 1;
  const uint64_t first = si->State.FirstSeq;
  const uint64_t last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  for (uint64_t seq = first; seq <= last && last > 0; ++seq) {
    natsMsg* msg = nullptr;
    code = static_cast<jsErrCode>(0);
    const natsStatus s = js_GetMsg(&msg, js, argv[3], seq, nullptr, &code);
    if (s == NATS_NOT_FOUND) continue;  // deleted
    if (!check(s, "get message", code)) return 1;
    print_message(msg, seq);
    natsMsg_Destroy(msg);
  }
  return 0;
}

int consumer(jsCtx* js, int argc, char** argv) {
  if (argc != 5) return 2;
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (!check(js_GetConsumerInfo(&ci, js, argv[3], argv[4], nullptr, &code), "consumer info",
             code)) {
    return 1;
  }
  std::printf(
      "{\"num_ack_pending\":%lld,\"num_redelivered\":%lld,\"num_pending\":%llu,"
      "\"delivered_stream_seq\":%llu,\"ack_floor_stream_seq\":%llu}\n",
      static_cast<long long>(ci->NumAckPending), static_cast<long long>(ci->NumRedelivered),
      static_cast<unsigned long long>(ci->NumPending),
      static_cast<unsigned long long>(ci->Delivered.Stream),
      static_cast<unsigned long long>(ci->AckFloor.Stream));
  jsConsumerInfo_Destroy(ci);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: junction_nats_tool stream|pub|get|consumer URL ...\n");
    return 2;
  }
  const std::string cmd = argv[1];
  natsConnection* nc = nullptr;
  if (!check(natsConnection_ConnectTo(&nc, argv[2]), "connect")) return 1;
  jsCtx* js = nullptr;
  int rc = 2;
  if (check(natsConnection_JetStream(&js, nc, nullptr), "jetstream")) {
    if (cmd == "stream") rc = create_stream(js, argc, argv);
    if (cmd == "pub") rc = publish(js, argc, argv);
    if (cmd == "get") rc = get(js, argc, argv);
    if (cmd == "consumer") rc = consumer(js, argc, argv);
  }
  if (rc == 2) std::fprintf(stderr, "junction_nats_tool: bad arguments for %s\n", cmd.c_str());
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  nats_Close();
  return rc;
}
