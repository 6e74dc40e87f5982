#include "cli/topic_command.h"

#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "cli/group_table.h"
#include "cli/topic_remote.h"
#include "components/builtin.h"
#include "connectors/register.h"
#include "core/message.h"
#include "flow/registry.h"
#include "fmt/format.h"
#include "log/consumer.h"
#include "log/group_json.h"
#include "log/record_json.h"
#include "log/store.h"
#include "spec/spec.h"

namespace junction::cli {
namespace {

namespace json = boost::json;

constexpr const char* kTopicUsage = R"(Usage: junction topic COMMAND [NAME] [options]

Commands (on a storage dir; stop a running junction first, it holds the dir):
  list                      topics with partitions, records and size
  create NAME               --partitions N --fsync P --retention D --retention-size S
                            --compaction --max-message-size S --compression none|lz4|zstd
  describe NAME             partitions (start, end, size, segments) and consumer groups
                            (committed offsets and lag; with --server, members too)
  produce NAME              one record per stdin line; --key K, --partition P,
                            --header name=value (repeatable)
  consume NAME              records as JSON lines; --from POS, --count N, --follow,
                            --group G (commit as that group; without, nothing is committed;
                            with --server, a member of the group: --session-timeout D)
  replay NAME --group G --to POS
                            move the group's committed offsets to POS, so it reads again
  delete NAME               remove the topic and its data

Where:   --dir DIR (default ./data) or --spec SPEC (its storage.dir), or
         --server http://HOST:PORT: a running instance's observability listener
         (list, describe, produce and consume only)
POS:     earliest | latest | offset:N | time:MS | 2026-11-26T08:00:00Z
)";

struct TopicArgs {
  std::string command;
  std::string name;
  std::map<std::string, std::string> options;
  std::vector<std::string> headers;
  bool compaction = false;
  bool follow = false;
};

bool parse(const std::vector<std::string>& args, TopicArgs& out, std::string& error) {
  static const std::vector<std::string> with_value = {"--dir",
                                                      "--server",
                                                      "--spec",
                                                      "--partitions",
                                                      "--fsync",
                                                      "--retention",
                                                      "--retention-size",
                                                      "--max-message-size",
                                                      "--compression",
                                                      "--key",
                                                      "--partition",
                                                      "--from",
                                                      "--count",
                                                      "--group",
                                                      "--session-timeout",
                                                      "--to",
                                                      "--header"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--compaction") {
      out.compaction = true;
    } else if (a == "--follow") {
      out.follow = true;
    } else if (std::find(with_value.begin(), with_value.end(), a) != with_value.end()) {
      if (i + 1 >= args.size()) {
        error = a + " needs a value";
        return false;
      }
      if (a == "--header") {
        out.headers.push_back(args[++i]);
      } else {
        out.options[a] = args[++i];
      }
    } else if (a.starts_with("-")) {
      error = "unknown option '" + a + "'";
      return false;
    } else if (out.command.empty()) {
      out.command = a;
    } else if (out.name.empty()) {
      out.name = a;
    } else {
      error = "unexpected argument '" + a + "'";
      return false;
    }
  }
  return true;
}

std::optional<std::string> opt(const TopicArgs& a, const std::string& name) {
  auto it = a.options.find(name);
  if (it == a.options.end()) return std::nullopt;
  return it->second;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "junction topic: %s\n", message.c_str());
  return 1;
}

Result<std::filesystem::path> storage_dir(const TopicArgs& a) {
  if (auto spec_file = opt(a, "--spec")) {
    flow::ComponentRegistry registry;
    components::register_builtin(registry);
    connectors::register_connectors(registry);
    spec::Diagnostics diags;
    auto spec = spec::load_spec(*spec_file, registry, diags);
    if (!spec) return Error::invalid(diags.format());
    return spec->storage.dir;
  }
  return std::filesystem::path(opt(a, "--dir").value_or("./data"));
}

Result<int64_t> parse_count(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size() && v >= 0) return static_cast<int64_t>(v);
  } catch (...) {
  }
  return Error::invalid(fmt::format("{} expects a non-negative number, got '{}'", flag, text));
}

Result<log::TopicConfig> config_from(const TopicArgs& a) {
  log::TopicConfig c;
  if (auto v = opt(a, "--partitions")) {
    auto n = parse_count("--partitions", *v);
    if (!n) return n.error();
    if (*n < 1 || *n > 1024) return Error::invalid("--partitions must be 1..1024");
    c.partitions = static_cast<int32_t>(*n);
  }
  if (auto v = opt(a, "--fsync")) {
    auto p = log::FsyncPolicy::parse(*v);
    if (!p) return p.error();
    c.fsync = *p;
  }
  if (auto v = opt(a, "--retention")) {
    auto d = parse_duration(*v);
    if (!d) return Error::invalid("--retention expects a duration like 7d");
    c.retention_age = *d;
  }
  if (auto v = opt(a, "--retention-size")) {
    auto s = parse_size(*v);
    if (!s) return Error::invalid("--retention-size expects a size like 10GiB");
    c.retention_bytes = *s;
  }
  if (auto v = opt(a, "--max-message-size")) {
    auto s = parse_size(*v);
    if (!s || *s == 0) return Error::invalid("--max-message-size expects a size like 1MiB");
    c.max_message_bytes = *s;
  }
  if (auto v = opt(a, "--compression")) {
    auto comp = log::compression_from_string(*v);
    if (!comp) return Error::invalid("--compression is none, lz4 or zstd");
    c.compression = *comp;
  }
  c.compaction = a.compaction;
  return c;
}

int cmd_list(log::Store& store) {
  std::printf("%-32s %10s %12s %12s\n", "TOPIC", "PARTITIONS", "RECORDS", "BYTES");
  for (const auto& name : store.topic_names()) {
    if (name.starts_with("__")) continue;
    log::Topic* t = store.find_topic(name);
    if (!t) continue;
    int64_t records = 0;
    for (int32_t p = 0; p < t->partition_count(); ++p) {
      records += t->partition(p).high_watermark() - t->partition(p).start_offset();
    }
    std::printf("%-32s %10d %12lld %12llu\n", name.c_str(), t->partition_count(),
                static_cast<long long>(records), static_cast<unsigned long long>(t->size_bytes()));
  }
  return 0;
}

int cmd_describe(log::Store& store, const std::string& name) {
  log::Topic* t = store.find_topic(name);
  if (!t) return fail(fmt::format("topic '{}' does not exist", name));
  const auto& c = t->config();
  std::printf("topic %s\n", name.c_str());
  std::printf("  partitions %d, fsync %s, compaction %s, compression %s\n", c.partitions,
              c.fsync.to_string().c_str(), c.compaction ? "on" : "off",
              std::string(log::to_string(c.compression)).c_str());
  std::printf("  retention %s, retention size %s, max message %llu bytes, dead letters to %s\n",
              c.retention_age ? format_duration(*c.retention_age).c_str() : "forever",
              c.retention_bytes ? std::to_string(*c.retention_bytes).c_str() : "unbounded",
              static_cast<unsigned long long>(c.max_message_bytes), t->dead_letter_topic().c_str());
  std::printf("  %-10s %12s %12s %12s %9s\n", "PARTITION", "START", "END", "BYTES", "SEGMENTS");
  for (int32_t p = 0; p < t->partition_count(); ++p) {
    const auto& part = t->partition(p);
    std::printf("  %-10d %12lld %12lld %12llu %9zu\n", p,
                static_cast<long long>(part.start_offset()),
                static_cast<long long>(part.high_watermark()),
                static_cast<unsigned long long>(part.size_bytes()), part.segment_count());
  }
  // The groups' committed offsets and lag. The store is not running, so no
  // group has members here: `--server` shows those.
  json::array groups;
  for (const auto& group : log::group_names(store, name)) {
    if (auto status = log::group_status(store, *t, group)) {
      groups.push_back(log::group_to_json(*status));
    }
  }
  print_groups(groups);
  return 0;
}

int cmd_produce(log::Store& store, const TopicArgs& a) {
  log::Topic* t = store.find_topic(a.name);
  if (!t) return fail(fmt::format("topic '{}' does not exist", a.name));
  int32_t partition = -1;
  if (auto v = opt(a, "--partition")) {
    auto n = parse_count("--partition", *v);
    if (!n) return fail(n.error().message());
    if (*n >= t->partition_count())
      return fail(fmt::format("topic has {} partitions", t->partition_count()));
    partition = static_cast<int32_t>(*n);
  }
  std::vector<log::RecordHeader> headers;
  for (const auto& h : a.headers) {
    auto eq = h.find('=');
    if (eq == std::string::npos) return fail("--header expects name=value, got '" + h + "'");
    headers.push_back({h.substr(0, eq), h.substr(eq + 1)});
  }
  std::string line;
  size_t count = 0;
  int64_t first = -1;
  while (std::getline(std::cin, line)) {
    log::Record r;
    r.timestamp_ms = now_ms();
    r.key = opt(a, "--key");
    r.value = line;
    r.headers = headers;
    r.headers.push_back({"x-junction-id", new_message_id()});
    std::promise<Result<log::AppendResult>> done;
    store.produce(*t, partition, std::span(&r, 1),
                  [&done](Result<log::AppendResult> res) { done.set_value(std::move(res)); });
    auto res = done.get_future().get();
    if (!res) return fail(fmt::format("after {} records: {}", count, res.error().message()));
    if (first < 0) first = res->base_offset;
    ++count;
  }
  std::fprintf(stderr, "produced %zu records to %s (from offset %lld)\n", count, a.name.c_str(),
               static_cast<long long>(first));
  return 0;
}

volatile std::sig_atomic_t g_interrupted = 0;

// --count as a limit (-1: none); also makes SIGINT/SIGTERM end a consume cleanly.
Result<int64_t> consume_limit(const TopicArgs& a) {
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  if (auto v = opt(a, "--count")) return parse_count("--count", *v);
  return int64_t{-1};
}

int cmd_consume(log::Store& store, const TopicArgs& a) {
  log::Topic* t = store.find_topic(a.name);
  if (!t) return fail(fmt::format("topic '{}' does not exist", a.name));
  auto from = log::StartPosition::parse(opt(a, "--from").value_or("earliest"));
  if (!from) return fail(from.error().message());
  auto limit_or = consume_limit(a);
  if (!limit_or) return fail(limit_or.error().message());
  const int64_t limit = *limit_or;
  // A group that is not written to when none is given: a browse, not a member.
  const auto group = opt(a, "--group");
  log::ConsumerOptions co;
  co.topic = a.name;
  co.group = group.value_or("__browse-" + new_message_id());
  co.start = *from;
  co.commit = group.has_value();
  std::atomic<bool> woken{false};
  log::Consumer consumer(store, co, [&woken] { woken = true; });
  if (auto st = consumer.start(); !st) return fail(st.error().message());
  int64_t printed = 0;
  while (!g_interrupted && (limit < 0 || printed < limit)) {
    auto got = consumer.poll(
        limit < 0 ? 500 : static_cast<size_t>(std::min<int64_t>(500, limit - printed)));
    if (!got) return fail(got.error().message());
    for (auto& d : *got) {
      std::printf("%s\n", json::serialize(log::record_to_json(d.partition, d.record)).c_str());
      consumer.ack(d.partition, d.record.offset);
      ++printed;
    }
    if (got->empty()) {
      if (!a.follow) break;
      consumer.arm();
      for (int i = 0; i < 20 && !woken.exchange(false) && !g_interrupted; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  std::fflush(stdout);
  if (group) {
    consumer.stop();  // commits what was printed
  }
  return 0;
}

int cmd_replay(log::Store& store, const TopicArgs& a) {
  log::Topic* t = store.find_topic(a.name);
  if (!t) return fail(fmt::format("topic '{}' does not exist", a.name));
  auto group = opt(a, "--group");
  auto to = opt(a, "--to");
  if (!group || !to) return fail("replay needs --group G and --to POSITION");
  auto pos = log::StartPosition::parse(*to);
  if (!pos) return fail(pos.error().message());
  for (int32_t p = 0; p < t->partition_count(); ++p) {
    const auto& part = t->partition(p);
    int64_t offset = part.start_offset();
    switch (pos->kind) {
      case log::StartPosition::Kind::kEarliest:
        break;
      case log::StartPosition::Kind::kLatest:
        offset = part.high_watermark();
        break;
      case log::StartPosition::Kind::kOffset:
        offset = std::clamp(pos->value, part.start_offset(), part.high_watermark());
        break;
      case log::StartPosition::Kind::kTimestamp: {
        auto at = part.offset_for_time(pos->value);
        if (!at) return fail(at.error().message());
        offset = *at;
        break;
      }
    }
    std::promise<Status> done;
    store.offsets().commit(*group, a.name, p, offset,
                           [&done](Status s) { done.set_value(std::move(s)); });
    auto st = done.get_future().get();
    if (!st) return fail(st.error().message());
    std::printf("group %s: %s partition %d -> offset %lld\n", group->c_str(), a.name.c_str(), p,
                static_cast<long long>(offset));
  }
  return 0;
}

// --- Against a running instance (the topics HTTP API) ---

int remote_list(RemoteTopics& remote, const std::string& only) {
  auto topics = remote.call("GET", "/topics");
  if (!topics) return fail(topics.error().message());
  bool found = false;
  for (const auto& t : topics->at("topics").as_array()) {
    const std::string name = json::value_to<std::string>(t.at("name"));
    if (!only.empty() && name != only) continue;
    found = true;
    std::printf("topic %s\n", name.c_str());
    for (const auto& p : t.at("partitions").as_array()) {
      std::printf("  partition %lld: start %lld, end %lld\n",
                  static_cast<long long>(p.at("partition").to_number<int64_t>()),
                  static_cast<long long>(p.at("start").to_number<int64_t>()),
                  static_cast<long long>(p.at("end").to_number<int64_t>()));
    }
  }
  if (!only.empty() && !found) return fail(fmt::format("topic '{}' does not exist", only));
  return 0;
}

int remote_describe(RemoteTopics& remote, const std::string& name) {
  if (const int rc = remote_list(remote, name); rc != 0) return rc;
  auto groups = remote.call("GET", "/topics/" + name + "/groups");
  if (!groups) return fail(groups.error().message());
  print_groups(groups->at("groups").as_array());
  return 0;
}

int remote_produce(RemoteTopics& remote, const TopicArgs& a) {
  std::string line;
  json::array chunk;
  size_t count = 0;
  auto flush = [&]() -> bool {
    if (chunk.empty()) return true;
    auto res = remote.call("POST", "/topics/" + a.name + "/records", json::serialize(chunk));
    if (!res) {
      fail(fmt::format("after {} records: {}", count, res.error().message()));
      return false;
    }
    count += chunk.size();
    chunk.clear();
    return true;
  };
  json::object headers;
  for (const auto& h : a.headers) {
    auto eq = h.find('=');
    if (eq == std::string::npos) return fail("--header expects name=value, got '" + h + "'");
    headers[h.substr(0, eq)] = h.substr(eq + 1);
  }
  while (std::getline(std::cin, line)) {
    json::object r;
    r["value"] = line;
    if (auto k = opt(a, "--key")) r["key"] = *k;
    if (auto p = opt(a, "--partition")) {
      auto n = parse_count("--partition", *p);
      if (!n) return fail(n.error().message());
      r["partition"] = *n;
    }
    if (!headers.empty()) r["headers"] = headers;
    chunk.push_back(std::move(r));
    if (chunk.size() >= 500 && !flush()) return 1;
  }
  if (!flush()) return 1;
  std::fprintf(stderr, "produced %zu records to %s\n", count, a.name.c_str());
  return 0;
}

// As a member of the group: polls (each a heartbeat) return records from
// this member's partitions only, what was printed is committed after each
// poll, and the member leaves on the way out (--count reached, no more
// records without --follow, SIGINT/SIGTERM). A signal does not cut a request
// short, so a following poll waits 1s at most: the member leaves within a
// second. Each commit names the generation of the poll it comes from, so a
// rebalance in between that took a partition away and gave it back refuses
// it. A refused commit (409) is no loss: the member keeps no position of its
// own; a partition that moved is read again from the last commit by its
// owner (this member again, after a lost-and-regained one), and the next
// commit of a partition it kept covers what the refused one did.
int remote_member_consume(RemoteTopics& remote, const TopicArgs& a, const std::string& group,
                          int64_t limit) {
  json::object join_body;
  if (auto s = opt(a, "--session-timeout")) join_body["session_timeout"] = *s;
  if (auto f = opt(a, "--from")) join_body["start"] = *f;
  const std::string members = fmt::format("/topics/{}/groups/{}/members", a.name, group);
  std::string member;
  auto join = [&]() -> bool {
    auto joined = remote.call("POST", members, json::serialize(join_body));
    if (!joined) {
      fail(joined.error().message());
      return false;
    }
    member = json::value_to<std::string>(joined->at("member"));
    std::fprintf(stderr, "junction topic: joined group %s as member %s, partitions %s\n",
                 group.c_str(), member.c_str(), json::serialize(joined->at("partitions")).c_str());
    return true;
  };
  if (!join()) return 1;
  int64_t printed = 0;
  int rc = 0;
  while (!g_interrupted && (limit < 0 || printed < limit)) {
    const int64_t max = limit < 0 ? 500 : std::min<int64_t>(500, limit - printed);
    auto got =
        remote.call("GET", fmt::format("/topics/{}/records?group={}&member={}&max={}&wait={}",
                                       a.name, group, member, max, a.follow ? "1s" : "0s"));
    if (!got && remote.last_status() == 404) {
      std::fprintf(stderr, "junction topic: %s; joining again\n", got.error().message().c_str());
      if (!join()) return 1;
      continue;
    }
    if (!got) {
      rc = fail(got.error().message());
      break;
    }
    const auto& records = got->at("records").as_array();
    std::map<int64_t, int64_t> next;  // partition -> offset after the last printed record
    for (const auto& r : records) {
      std::printf("%s\n", json::serialize(r).c_str());
      next[r.at("partition").to_number<int64_t>()] = r.at("offset").to_number<int64_t>() + 1;
      ++printed;
    }
    std::fflush(stdout);
    if (!next.empty()) {
      json::array commits;
      for (const auto& [p, o] : next)
        commits.push_back(json::object{{"partition", p}, {"offset", o}});
      const json::object body{{"generation", got->at("generation")},
                              {"offsets", std::move(commits)}};
      auto committed = remote.call(
          "POST", fmt::format("/topics/{}/groups/{}/offsets?member={}", a.name, group, member),
          json::serialize(body));
      if (!committed && remote.last_status() != 409 && remote.last_status() != 404) {
        rc = fail(committed.error().message());
        break;
      }
      if (!committed) {
        std::fprintf(
            stderr, "junction topic: commit refused (%s); the group delivers those records again\n",
            committed.error().message().c_str());
      }
    }
    if (records.empty() && !a.follow) break;
  }
  // Leaving hands the partitions to the others at once, not after the session timeout.
  (void)remote.call("DELETE", members + "/" + member);
  return rc;
}

int remote_consume(RemoteTopics& remote, const TopicArgs& a) {
  auto limit_or = consume_limit(a);
  if (!limit_or) return fail(limit_or.error().message());
  const int64_t limit = *limit_or;
  int64_t printed = 0;
  auto print = [&](const json::array& records) {
    for (const auto& r : records) {
      if (limit >= 0 && printed >= limit) break;
      std::printf("%s\n", json::serialize(r).c_str());
      ++printed;
    }
    std::fflush(stdout);
  };
  if (auto group = opt(a, "--group")) return remote_member_consume(remote, a, *group, limit);
  // A browse: every partition from --from (earliest or offset:N).
  auto from = log::StartPosition::parse(opt(a, "--from").value_or("earliest"));
  if (!from) return fail(from.error().message());
  if (from->kind != log::StartPosition::Kind::kEarliest &&
      from->kind != log::StartPosition::Kind::kOffset) {
    return fail("with --server, --from is earliest or offset:N (or use --group)");
  }
  auto topics = remote.call("GET", "/topics");
  if (!topics) return fail(topics.error().message());
  int64_t partitions = -1;
  for (const auto& t : topics->at("topics").as_array()) {
    if (json::value_to<std::string>(t.at("name")) == a.name) {
      partitions = static_cast<int64_t>(t.at("partitions").as_array().size());
    }
  }
  if (partitions < 0) return fail(fmt::format("topic '{}' does not exist", a.name));
  for (int64_t p = 0; p < partitions && !g_interrupted && (limit < 0 || printed < limit); ++p) {
    int64_t offset = from->kind == log::StartPosition::Kind::kOffset ? from->value : 0;
    while (!g_interrupted && (limit < 0 || printed < limit)) {
      auto got = remote.call("GET", fmt::format("/topics/{}/records?partition={}&offset={}&max=500",
                                                a.name, p, offset));
      if (!got) return fail(got.error().message());
      const auto& records = got->at("records").as_array();
      if (records.empty()) break;
      print(records);
      offset = got->at("next").at(std::to_string(p)).to_number<int64_t>();
    }
  }
  return 0;
}

}  // namespace

int topic_command(const std::vector<std::string>& args) {
  TopicArgs a;
  std::string error;
  if (!parse(args, a, error)) return fail(error + "\n\n" + kTopicUsage);
  if (a.command.empty() || a.command == "help") {
    std::printf("%s", kTopicUsage);
    return a.command.empty() ? 64 : 0;
  }
  static const std::vector<std::string> commands = {"list",    "create", "describe", "produce",
                                                    "consume", "replay", "delete"};
  if (std::find(commands.begin(), commands.end(), a.command) == commands.end()) {
    return fail("unknown command '" + a.command + "'\n\n" + kTopicUsage);
  }
  if (a.command != "list" && a.name.empty()) return fail(a.command + " needs a topic NAME");
  if (auto server = opt(a, "--server")) {
    auto remote = RemoteTopics::connect(*server);
    if (!remote) return fail(remote.error().message());
    if (a.command == "list") return remote_list(**remote, "");
    if (a.command == "describe") return remote_describe(**remote, a.name);
    if (a.command == "produce") return remote_produce(**remote, a);
    if (a.command == "consume") return remote_consume(**remote, a);
    return fail(a.command + " works on a storage dir only: stop the instance and use --dir");
  }
  auto dir = storage_dir(a);
  if (!dir) return fail(dir.error().message());
  if (a.command != "create" && !std::filesystem::exists(*dir / "topics")) {
    return fail(fmt::format("{} is not a junction storage dir (no topics/ in it)", dir->string()));
  }
  log::StoreOptions so;
  so.dir = *dir;
  auto store = log::Store::open(so);
  if (!store) return fail(store.error().message());
  log::Store& s = **store;
  if (a.command == "list") return cmd_list(s);
  if (a.command == "describe") return cmd_describe(s, a.name);
  if (a.command == "produce") return cmd_produce(s, a);
  if (a.command == "consume") return cmd_consume(s, a);
  if (a.command == "replay") return cmd_replay(s, a);
  if (a.command == "delete") {
    if (auto st = s.delete_topic(a.name); !st) return fail(st.error().message());
    std::printf("deleted topic %s\n", a.name.c_str());
    return 0;
  }
  // create
  if (s.find_topic(a.name)) return fail(fmt::format("topic '{}' already exists", a.name));
  auto config = config_from(a);
  if (!config) return fail(config.error().message());
  auto created = s.open_topic(a.name, *config);
  if (!created) return fail(created.error().message());
  std::printf("created topic %s with %d partitions\n", a.name.c_str(), config->partitions);
  return 0;
}

}  // namespace junction::cli
