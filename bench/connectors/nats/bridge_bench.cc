// junction_nats_bridge_bench: the hand-written libnats side of
// bench/connectors/nats/run.sh, and the tools that run.sh drives.
//
//   --phase preload  creates streams A (a.>) and B (b.>) and publishes
//                    --count messages of --size bytes to a.in (async, acked)
//   --phase bridge   does what a Junction nats -> nats flow does, directly:
//                    fetch a batch from durable `--durable` on A, publish
//                    each message to b.<durable> with js_PublishMsgAsync,
//                    wait for every publish ack of the batch, then ack the
//                    batch's input messages; until --count are acked
//   --phase wait     polls consumer `--durable` on A and prints, as one JSON
//                    line, the time from its first acked message to
//                    --count acked: the same clock for both bridges
//
// Usage: junction_nats_bridge_bench --url URL --phase P --count N
//          [--size BYTES] [--durable NAME] [--batch MSGS] [--label TEXT]
#include <nats/nats.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;
  std::string phase;
  std::string durable = "direct";
  std::string label = "direct";
  size_t count = 100000;
  size_t size = 1024;
  int batch = 100;
};

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    const std::string_view v = argv[i + 1];
    auto number = [&](auto& out) {
      return std::from_chars(v.data(), v.data() + v.size(), out).ec == std::errc();
    };
    bool ok = true;
    if (arg == "--url")
      o.url = v;
    else if (arg == "--phase")
      o.phase = v;
    else if (arg == "--durable")
      o.durable = v;
    else if (arg == "--label")
      o.label = v;
    else if (arg == "--count")
      ok = number(o.count);
    else if (arg == "--size")
      ok = number(o.size);
    else if (arg == "--batch")
      ok = number(o.batch) && o.batch > 0;
    else
      ok = false;
    if (!ok) return false;
  }
  return argc % 2 == 1 && !o.url.empty() && o.count > 0 &&
         (o.phase == "preload" || o.phase == "bridge" || o.phase == "wait");
}

bool check(natsStatus s, const char* what, jsErrCode code = static_cast<jsErrCode>(0)) {
  if (s == NATS_OK) return true;
  std::fprintf(stderr, "bridge_bench: %s: %s (JetStream error %d) %s\n", what,
               natsStatus_GetText(s), static_cast<int>(code), nats_GetLastError(nullptr));
  return false;
}

bool add_stream(jsCtx* js, const char* name, const char* subject) {
  const char* subjects[] = {subject};
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = name;
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  // JetStream may still be starting just after the port opened.
  natsStatus s = NATS_OK;
  jsErrCode code = static_cast<jsErrCode>(0);
  for (int attempt = 0; attempt < 50; ++attempt) {
    jsStreamInfo* si = nullptr;
    code = static_cast<jsErrCode>(0);
    s = js_AddStream(&si, js, &sc, nullptr, &code);
    jsStreamInfo_Destroy(si);
    if (s == NATS_OK) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return check(s, "add stream", code);
}

// Counts publish acks; the bridge waits for a batch's worth.
struct Acks {
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> failed{0};
};

void on_ack(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* err, void* closure) {
  auto* acks = static_cast<Acks*>(closure);
  if (err != nullptr) acks->failed.fetch_add(1);
  natsMsg_Destroy(msg);
  acks->done.fetch_add(1, std::memory_order_release);
  acks->done.notify_one();
}

jsCtx* jetstream(natsConnection* nc, Acks* acks) {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 1024;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = acks;
  jsCtx* js = nullptr;
  return check(natsConnection_JetStream(&js, nc, &jo), "jetstream") ? js : nullptr;
}

void wait_for(Acks& acks, uint64_t target) {
  for (uint64_t d = acks.done.load(std::memory_order_acquire); d < target;
       d = acks.done.load(std::memory_order_acquire)) {
    acks.done.wait(d, std::memory_order_acquire);
  }
}

int preload(natsConnection* nc, const Options& o) {
  Acks acks;
  jsCtx* js = jetstream(nc, &acks);
  if (!js || !add_stream(js, "A", "a.>") || !add_stream(js, "B", "b.>")) return 1;
  std::string payload(o.size, 'x');
  for (size_t i = 0; i < o.count; ++i) {
    if (!check(
            js_PublishAsync(js, "a.in", payload.data(), static_cast<int>(payload.size()), nullptr),
            "publish")) {
      return 1;
    }
  }
  wait_for(acks, o.count);
  jsCtx_Destroy(js);
  return acks.failed.load() == 0 ? 0 : 1;
}

int bridge(natsConnection* nc, const Options& o) {
  Acks acks;
  jsCtx* js = jetstream(nc, &acks);
  if (!js) return 1;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = "A";
  so.Config.Durable = o.durable.c_str();
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.MaxAckPending = 1000;
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (!check(js_PullSubscribe(&sub, js, "a.>", o.durable.c_str(), nullptr, &so, &code), "subscribe",
             code)) {
    return 1;
  }
  const std::string out_subject = "b." + o.durable;
  uint64_t published = 0;
  size_t acked = 0;
  while (acked < o.count) {
    natsMsgList list = {nullptr, 0};
    const natsStatus s = natsSubscription_Fetch(&list, sub, o.batch, 1000, &code);
    if (s == NATS_TIMEOUT) continue;
    if (!check(s, "fetch", code)) return 1;
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* in = list.Msgs[i];
      natsMsg* out = nullptr;
      natsMsg_Create(&out, out_subject.c_str(), nullptr, natsMsg_GetData(in),
                     natsMsg_GetDataLength(in));
      jsMsgMetaData* meta = nullptr;
      natsMsg_GetMetaData(&meta, in);
      // The de-duplication id, as the Junction output sets it.
      const std::string id = "direct-" + std::to_string(meta->Sequence.Stream);
      jsMsgMetaData_Destroy(meta);
      natsMsgHeader_Set(out, "Nats-Msg-Id", id.c_str());
      if (!check(js_PublishMsgAsync(js, &out, nullptr), "publish")) return 1;
      ++published;
    }
    wait_for(acks, published);
    if (acks.failed.load() != 0) return 1;
    for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
    acked += static_cast<size_t>(list.Count);
    natsMsgList_Destroy(&list);
  }
  natsConnection_Flush(nc);
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  return 0;
}

int wait(natsConnection* nc, const Options& o) {
  jsCtx* js = nullptr;
  if (!check(natsConnection_JetStream(&js, nc, nullptr), "jetstream")) return 1;
  Clock::time_point first{};
  const auto give_up = Clock::now() + std::chrono::minutes(10);
  while (Clock::now() < give_up) {
    jsConsumerInfo* ci = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    uint64_t floor = 0;
    if (js_GetConsumerInfo(&ci, js, "A", o.durable.c_str(), nullptr, &code) == NATS_OK) {
      floor = ci->AckFloor.Stream;
      jsConsumerInfo_Destroy(ci);
    }
    if (floor > 0 && first == Clock::time_point{}) first = Clock::now();
    if (floor >= o.count) {
      const double seconds = std::chrono::duration<double>(Clock::now() - first).count();
      std::printf(
          "{\"bridge\":\"%s\",\"msgs\":%zu,\"size\":%zu,\"seconds\":%.3f,"
          "\"msg_per_s\":%.0f}\n",
          o.label.c_str(), o.count, o.size, seconds, static_cast<double>(o.count) / seconds);
      jsCtx_Destroy(js);
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::fprintf(stderr, "bridge_bench: %s did not finish in 10 minutes\n", o.durable.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: junction_nats_bridge_bench --url URL --phase preload|bridge|wait "
                 "--count N [--size B] [--durable NAME] [--batch MSGS] [--label TEXT]\n");
    return 2;
  }
  natsConnection* nc = nullptr;
  if (!check(natsConnection_ConnectTo(&nc, o.url.c_str()), "connect")) return 1;
  int rc = 1;
  if (o.phase == "preload") rc = preload(nc, o);
  if (o.phase == "bridge") rc = bridge(nc, o);
  if (o.phase == "wait") rc = wait(nc, o);
  natsConnection_Destroy(nc);
  nats_Close();
  return rc;
}
