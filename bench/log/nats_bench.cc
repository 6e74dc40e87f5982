// junction_nats_bench: the NATS JetStream side of bench/log/run.sh, in the
// same shape as junction_log_bench. P publishers (threads sharing one
// connection, each with its own JetStream context; one by default) send N
// messages of BYTES each between them to a file-storage stream with
// js_PublishAsync, each keeping up to W publishes awaiting their ack (the ack
// handler runs on the client's reply thread), and prints throughput and publish->ack latency as one
// JSON line. The consume phase reads the stream back through a pull consumer in fetches of about 1
// MiB, as junction_log_bench reads its partition.
//
// run.sh restarts nats-server between the phases (and drops the page cache)
// so that the consume phase reads from disk, hence two phases on the CLI.
//
// Usage: junction_nats_bench --url nats://127.0.0.1:PORT --size BYTES --count N
//          --window W --phase produce|consume [--fsync LABEL] [--producers P]
//          [--fetch-batch MSGS] [--fetch-bytes BYTES]
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ack_window.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kStream = "BENCH";
constexpr const char* kSubject = "bench.log";
constexpr const char* kDurable = "bench_reader";

struct Options {
  std::string url;
  size_t size = 1024;
  size_t count = 100000;
  uint32_t window = 1024;
  uint32_t producers = 1;
  std::string phase;
  int fetch_batch = 0;                   // 0: as many messages as make 1 MiB
  int64_t fetch_bytes = 0;               // 0: no byte bound (see consume())
  std::string fsync = "server default";  // what the server was started with; a label only
};

bool parse_number(std::string_view text, auto& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    const std::string_view value = argv[i + 1];
    bool ok = true;
    if (arg == "--url") {
      o.url = value;
    } else if (arg == "--size") {
      ok = parse_number(value, o.size);
    } else if (arg == "--count") {
      ok = parse_number(value, o.count);
    } else if (arg == "--window") {
      ok = parse_number(value, o.window) && o.window > 0;
    } else if (arg == "--producers") {
      ok = parse_number(value, o.producers) && o.producers > 0;
    } else if (arg == "--phase") {
      o.phase = value;
    } else if (arg == "--fetch-batch") {
      ok = parse_number(value, o.fetch_batch) && o.fetch_batch > 0;
    } else if (arg == "--fetch-bytes") {
      ok = parse_number(value, o.fetch_bytes);
    } else if (arg == "--fsync") {
      o.fsync = value;
    } else {
      ok = false;
    }
    if (!ok) return false;
  }
  // The message index travels in the payload's first 8 bytes.
  return argc % 2 == 1 && !o.url.empty() && o.count > 0 && o.size >= sizeof(uint64_t) &&
         (o.phase == "produce" || o.phase == "consume");
}

bool check(natsStatus s, const char* what, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  if (s == NATS_OK) return true;
  std::fprintf(stderr, "nats_bench: %s: %s (jetstream error %d) %s\n", what, natsStatus_GetText(s),
               static_cast<int>(jerr), nats_GetLastError(nullptr));
  return false;
}

double percentile_us(std::vector<int64_t>& ns, double q) {
  if (ns.empty()) return 0;
  const auto k = static_cast<size_t>(q * static_cast<double>(ns.size() - 1));
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
  return static_cast<double>(ns[k]) / 1000.0;
}

struct Shared {
  std::atomic<uint64_t> failed{0};
  std::vector<Clock::time_point> sent_at;
  std::vector<int64_t> latency_ns;
};

struct alignas(64) Tally {  // one per publisher, apart from the others' cache lines
  explicit Tally(uint64_t window) : window(window) {}
  junction::bench::AckWindow window;
  Shared* shared = nullptr;
};

// Runs on the client's thread for the JetStream reply subject, once per
// publish, with the message as it was sent (its index in the first bytes).
void on_ack(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* err, void* closure) {
  auto* t = static_cast<Tally*>(closure);
  Shared* s = t->shared;
  uint64_t i = 0;
  std::memcpy(&i, natsMsg_GetData(msg), sizeof(i));
  if (i < s->latency_ns.size()) {
    s->latency_ns[i] =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - s->sent_at[i]).count();
  }
  if (err != nullptr && s->failed.fetch_add(1) == 0) {
    std::fprintf(stderr, "nats_bench: publish failed: %s\n",
                 err->ErrText ? err->ErrText : natsStatus_GetText(err->Err));
  }
  natsMsg_Destroy(msg);
  t->window.ack();
}

// A JetStream context whose async publishes are acked into `tally`.
jsCtx* publisher_context(natsConnection* nc, const Options& o, Tally* tally) {
  jsOptions jo;
  jsOptions_Init(&jo);
  // The window below keeps W in flight; the library's own bound is only a
  // backstop, so it never stalls a publish that the window allowed.
  jo.PublishAsync.MaxPending = 2 * static_cast<int64_t>(o.window);
  jo.PublishAsync.StallWait = 60000;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = tally;
  jsCtx* js = nullptr;
  if (!check(natsConnection_JetStream(&js, nc, &jo), "jetstream context")) return nullptr;
  return js;
}

int produce(natsConnection* nc, const Options& o) {
  Shared shared;
  shared.sent_at.resize(o.count);
  shared.latency_ns.resize(o.count);
  std::vector<std::unique_ptr<Tally>> tallies;
  std::vector<jsCtx*> contexts;
  for (uint32_t k = 0; k < o.producers; ++k) {
    auto& t = *tallies.emplace_back(std::make_unique<Tally>(o.window));
    t.shared = &shared;
    contexts.push_back(publisher_context(nc, o, &t));
    if (!contexts.back()) return 1;
  }
  jsCtx* js = contexts.front();

  jsErrCode jerr = static_cast<jsErrCode>(0);
  (void)js_DeleteStream(js, kStream, nullptr, &jerr);  // left by an earlier run, if any
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = kStream;
  const char* subjects[] = {kSubject};
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Replicas = 1;
  jsStreamInfo* si = nullptr;
  if (!check(js_AddStream(&si, js, &sc, nullptr, &jerr), "add stream", jerr)) return 1;
  jsStreamInfo_Destroy(si);

  // Publisher k sends messages k, k+P, k+2P...
  std::atomic<bool> publish_failed{false};
  auto publish = [&](uint32_t k) {
    std::string payload(o.size, 'x');
    auto& window = tallies[k]->window;
    uint64_t sent = 0;
    for (uint64_t i = k; i < o.count; i += o.producers, ++sent) {
      window.wait_for_room(sent);
      std::memcpy(payload.data(), &i, sizeof(i));
      shared.sent_at[i] = Clock::now();
      if (!check(js_PublishAsync(contexts[k], kSubject, payload.data(),
                                 static_cast<int>(payload.size()), nullptr),
                 "publish")) {
        publish_failed = true;
        return;
      }
    }
    window.wait_for_all(sent);
  };
  const auto start = Clock::now();
  std::vector<std::thread> publishers;
  for (uint32_t k = 1; k < o.producers; ++k) publishers.emplace_back(publish, k);
  publish(0);
  for (auto& t : publishers) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (jsCtx* c : contexts) jsCtx_Destroy(c);
  if (publish_failed) return 1;

  const double msgs = static_cast<double>(o.count);
  std::printf(
      "{\"system\":\"nats\",\"size\":%zu,\"fsync\":\"%s\",\"window\":%u,\"producers\":%u,"
      "\"msgs\":%zu,\"failed\":%llu,\"seconds\":%.3f,\"msg_per_s\":%.0f,\"mb_per_s\":%.1f,"
      "\"p50_us\":%.0f,\"p99_us\":%.0f}\n",
      o.size, o.fsync.c_str(), o.window, o.producers, o.count,
      static_cast<unsigned long long>(shared.failed.load()), seconds, msgs / seconds,
      msgs * static_cast<double>(o.size) / seconds / 1e6, percentile_us(shared.latency_ns, 0.50),
      percentile_us(shared.latency_ns, 0.99));
  std::fflush(stdout);
  return shared.failed.load() == 0 ? 0 : 1;
}

// A pull subscription on a durable consumer. Without acks when the server
// allows it (junction_log_bench reads without committing either); otherwise
// ack-all, acking the last message of each fetch.
natsSubscription* subscribe(jsCtx* js, bool* ack_all) {
  for (jsAckPolicy policy : {js_AckNone, js_AckAll}) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = kStream;
    so.Config.Durable = kDurable;
    so.Config.DeliverPolicy = js_DeliverAll;
    so.Config.AckPolicy = policy;
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (js_PullSubscribe(&sub, js, kSubject, kDurable, nullptr, &so, &jerr) == NATS_OK) {
      *ack_all = policy == js_AckAll;
      return sub;
    }
    std::fprintf(stderr, "nats_bench: pull consumer with ack policy %d refused: %s (%d)\n",
                 static_cast<int>(policy), nats_GetLastError(nullptr), static_cast<int>(jerr));
  }
  return nullptr;
}

int consume(natsConnection* nc, const Options& o) {
  const auto start = Clock::now();
  jsCtx* js = nullptr;
  if (!check(natsConnection_JetStream(&js, nc, nullptr), "jetstream context")) return 1;
  bool ack_all = false;
  natsSubscription* sub = subscribe(js, &ack_all);
  if (sub == nullptr) return 1;

  // Fetches of about 1 MiB, as junction_log_bench reads: 1 MiB / size
  // messages, or --fetch-batch and --fetch-bytes (jsFetchRequest.MaxBytes).
  const int batch =
      o.fetch_batch > 0 ? o.fetch_batch : std::max(1, static_cast<int>((1u << 20) / o.size));
  uint64_t records = 0;
  uint64_t bytes = 0;
  while (records < o.count) {
    jsFetchRequest req;
    jsFetchRequest_Init(&req);
    // Never more than is left: a pull request waits for its whole batch
    // until it expires.
    req.Batch = static_cast<int>(std::min<uint64_t>(batch, o.count - records));
    req.MaxBytes = o.fetch_bytes;
    req.Expires = 5'000'000'000;  // ns
    natsMsgList list = {nullptr, 0};
    if (!check(natsSubscription_FetchRequest(&list, sub, &req), "fetch")) return 1;
    for (int k = 0; k < list.Count; ++k) bytes += natsMsg_GetDataLength(list.Msgs[k]);
    records += static_cast<uint64_t>(list.Count);
    if (ack_all && list.Count > 0) (void)natsMsg_Ack(list.Msgs[list.Count - 1], nullptr);
    natsMsgList_Destroy(&list);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  std::printf(
      "{\"system\":\"nats\",\"phase\":\"consume\",\"size\":%zu,\"msgs\":%llu,\"ack\":\"%s\","
      "\"seconds\":%.3f,\"msg_per_s\":%.0f,\"mb_per_s\":%.1f}\n",
      o.size, static_cast<unsigned long long>(records), ack_all ? "all" : "none", seconds,
      static_cast<double>(records) / seconds, static_cast<double>(bytes) / seconds / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: junction_nats_bench --url URL --size BYTES(>=8) --count N --window W "
                 "--phase produce|consume [--fsync LABEL] [--producers P] [--fetch-batch MSGS] "
                 "[--fetch-bytes B]\n");
    return 2;
  }
  natsConnection* nc = nullptr;
  if (!check(natsConnection_ConnectTo(&nc, o.url.c_str()), "connect")) return 1;
  const int rc = o.phase == "produce" ? produce(nc, o) : consume(nc, o);
  natsConnection_Destroy(nc);
  nats_Close();
  return rc;
}
