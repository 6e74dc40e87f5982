#include "log/consumer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <ctime>

#include "core/message.h"
#include "fmt/format.h"

namespace junction::log {
namespace {

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// "2026-11-26T08:00:00Z" or with fractional seconds; UTC only.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text) {
  std::tm tm{};
  int ms = 0;
  char z = 0;
  std::string s(text);
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(s).substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) ms = ms * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (rest.size() != 1) return std::nullopt;
  z = rest.front();
  if (z != 'Z' && z != 'z') return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t secs = timegm(&tm);
  if (secs == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(secs) * 1000 + ms;
}

std::chrono::milliseconds redelivery_backoff(int32_t attempt) {
  const int shift = std::min(attempt - 1, 6);
  return std::min(std::chrono::milliseconds(100 << shift), std::chrono::milliseconds(5000));
}

}  // namespace

Result<StartPosition> StartPosition::parse(std::string_view text) {
  StartPosition p;
  if (text == "earliest") return p;
  if (text == "latest") {
    p.kind = Kind::kLatest;
    return p;
  }
  if (text.starts_with("offset:")) {
    if (auto v = parse_int(text.substr(7)); v && *v >= 0) {
      p.kind = Kind::kOffset;
      p.value = *v;
      return p;
    }
  } else if (text.starts_with("time:")) {
    if (auto v = parse_int(text.substr(5)); v && *v >= 0) {
      p.kind = Kind::kTimestamp;
      p.value = *v;
      return p;
    }
  } else if (auto ms = parse_rfc3339_ms(text)) {
    p.kind = Kind::kTimestamp;
    p.value = *ms;
    return p;
  }
  return Error::invalid(fmt::format(
      "start position '{}' is not one of: earliest, latest, offset:<n>, time:<ms since epoch>, "
      "or an RFC 3339 UTC time like 2026-11-26T08:00:00Z",
      text));
}

void Consumer::Shared::ring() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu);
    if (!alive) return;
    fn = wake;
  }
  if (fn) fn();
}

int64_t Consumer::PartitionState::low_water() const {
  int64_t low = next_fetch;
  if (!buffered.empty()) low = std::min(low, buffered.front().offset);
  if (!pending.empty()) low = std::min(low, pending.begin()->first);
  return low;
}

int64_t Consumer::PartitionState::low_water_through(int64_t offset) const {
  int64_t low = next_fetch;
  if (!buffered.empty()) low = std::min(low, buffered.front().offset);
  // A record on its way to the dead-letter topic is acked by that write alone.
  for (const auto& [at, p] : pending) {
    if (at >= offset || p.dead_lettering) return std::min(low, at);
  }
  return low;
}

size_t Consumer::PartitionState::ack_through(int64_t offset) {
  size_t acked = 0;
  for (auto it = pending.begin(); it != pending.end() && it->first < offset;) {
    if (it->second.dead_lettering) {
      ++it;
      continue;
    }
    it = pending.erase(it);
    ++acked;
  }
  return acked;
}

Consumer::Consumer(Store& store, ConsumerOptions options, std::function<void()> wake)
    : store_(store), options_(std::move(options)), shared_(std::make_shared<Shared>()) {
  shared_->wake = std::move(wake);
}

Consumer::~Consumer() {
  stop();
}

Status Consumer::start() {
  if (options_.group.empty()) return Error::invalid("a consumer needs a group");
  topic_ = store_.find_topic(options_.topic);
  if (!topic_) return Error::invalid(fmt::format("topic '{}' does not exist", options_.topic));
  std::weak_ptr<Shared> weak = shared_;
  auto member = store_.groups().join(
      options_.group, options_.topic, topic_->partition_count(),
      [weak](Assignment a) {
        auto shared = weak.lock();
        if (!shared) return;
        {
          std::lock_guard lock(shared->mu);
          if (a.generation <= shared->generation_seen) return;
          shared->generation_seen = a.generation;
          shared->new_assignment = std::move(a);
        }
        shared->ring();
      },
      options_.session_timeout);
  if (!member) return member.error();
  member_ = *member;
  return ok_status();
}

void Consumer::stop() {
  if (member_ == 0) return;
  apply_inbox(Clock::now());
  commit();
  store_.groups().leave(options_.group, options_.topic, member_);
  member_ = 0;
  std::lock_guard lock(shared_->mu);
  shared_->alive = false;
  shared_->wake = nullptr;
}

void Consumer::apply_inbox(Clock::time_point now) {
  std::optional<Assignment> assignment;
  std::vector<std::pair<int32_t, int64_t>> written;
  std::vector<std::tuple<int32_t, int64_t, std::string>> failed;
  {
    std::lock_guard lock(shared_->mu);
    assignment.swap(shared_->new_assignment);
    written.swap(shared_->dead_lettered);
    failed.swap(shared_->dead_letter_failed);
  }
  for (auto& [part, offset] : written) {
    --dead_letters_pending_;
    auto it = partitions_.find(part);
    if (it != partitions_.end() && it->second.pending.erase(offset) > 0) --in_flight_;
  }
  for (auto& [part, offset, why] : failed) {
    --dead_letters_pending_;
    auto it = partitions_.find(part);
    if (it == partitions_.end()) continue;
    auto pit = it->second.pending.find(offset);
    if (pit == it->second.pending.end()) continue;
    spdlog::warn("topic {} partition {} offset {}: dead-letter write failed, retrying: {}",
                 options_.topic, part, offset, why);
    pit->second.dead_lettering = false;
    pit->second.waiting_redelivery = true;
    pit->second.deadline = now + std::chrono::seconds(1);
  }
  if (assignment) assign(*assignment);
}

int64_t Consumer::initial_offset(const Partition& partition) const {
  if (auto committed = store_.offsets().committed(options_.group, options_.topic, partition.id())) {
    return *committed;
  }
  switch (options_.start.kind) {
    case StartPosition::Kind::kEarliest:
      return partition.start_offset();
    case StartPosition::Kind::kLatest:
      return partition.high_watermark();
    case StartPosition::Kind::kOffset:
      return std::clamp(options_.start.value, partition.start_offset(), partition.high_watermark());
    case StartPosition::Kind::kTimestamp: {
      auto at = partition.offset_for_time(options_.start.value);
      return at ? *at : partition.start_offset();
    }
  }
  return partition.start_offset();
}

void Consumer::assign(const Assignment& assignment) {
  const auto& parts = assignment.partitions;
  generation_ = assignment.generation;
  // Only the latest assignment is seen: a partition lost and given back in
  // between comes with a newer tenure, and what we read of it before is
  // stale (its other owner may have committed past it). It starts over too.
  std::map<int32_t, uint64_t> tenure;
  for (size_t i = 0; i < parts.size(); ++i) {
    tenure[parts[i]] = i < assignment.owned_since.size() ? assignment.owned_since[i] : 0;
  }
  // What we lose is not committed here: its new owner may be reading it
  // already, and only the owner commits. What was acked since the last commit
  // is delivered again to the new owner (at least once, never skipped).
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    auto kept = tenure.find(it->first);
    if (kept != tenure.end() && kept->second == it->second.owned_since) {
      ++it;
      continue;
    }
    in_flight_ -= it->second.pending.size();
    it = partitions_.erase(it);
  }
  for (const auto& [id, since] : tenure) {
    if (partitions_.count(id) || id >= topic_->partition_count()) continue;
    PartitionState st;
    st.id = id;
    st.owned_since = since;
    st.next_fetch = initial_offset(topic_->partition(id));
    partitions_.emplace(id, std::move(st));
  }
  spdlog::debug("group {} topic {}: member {} owns {} partitions (generation {})", options_.group,
                options_.topic, member_, partitions_.size(), generation_);
}

Status Consumer::fetch(PartitionState& p) {
  const Partition& partition = topic_->partition(p.id);
  if (p.next_fetch >= partition.high_watermark()) return ok_status();
  auto bytes = partition.read(p.next_fetch, options_.fetch_bytes);
  if (!bytes && bytes.error().cls() == ErrorClass::kInvalid) {
    // Retention removed what we were about to read: go on from the oldest record kept.
    spdlog::warn(
        "group {} topic {} partition {}: offset {} was removed by retention; "
        "continuing from {}",
        options_.group, options_.topic, p.id, p.next_fetch, partition.start_offset());
    p.next_fetch = partition.start_offset();
    bytes = partition.read(p.next_fetch, options_.fetch_bytes);
  }
  if (!bytes) return bytes.error();
  auto st = for_each_batch(*bytes, [&](const BatchHeader& h, std::vector<Record>&& records) {
    for (auto& r : records) {
      if (r.offset >= p.next_fetch) p.buffered.push_back(std::move(r));
    }
    p.next_fetch = std::max(p.next_fetch, h.next_offset());
  });
  if (!st) return st.error().wrap(fmt::format("topic {} partition {}", options_.topic, p.id));
  return ok_status();
}

Delivery Consumer::deliver(PartitionState& p, const Record& r, int32_t attempt,
                           Clock::time_point now) {
  Delivery d{p.id, r, attempt};
  if (attempt > 1)
    d.record.headers.push_back({std::string(kAttemptsHeader), std::to_string(attempt)});
  auto& pending = p.pending[r.offset];
  if (pending.attempt == 0 || attempt == 1) pending.record = r;
  pending.attempt = attempt;
  pending.deadline = now + options_.ack_timeout;
  pending.waiting_redelivery = false;
  return d;
}

Result<std::vector<Delivery>> Consumer::poll(size_t max, Clock::time_point now) {
  apply_inbox(now);
  std::vector<Delivery> out;
  const int32_t max_deliveries = topic_ ? topic_->config().max_deliveries : 1;
  // Due redeliveries (nacked, or not acked in time) come first.
  for (auto& [id, p] : partitions_) {
    for (auto& [offset, pending] : p.pending) {
      if (out.size() >= max) break;
      if (pending.dead_lettering || pending.deadline > now) continue;
      if (!pending.waiting_redelivery && pending.last_error.empty()) {
        pending.last_error =
            fmt::format("not acknowledged within {}ms", options_.ack_timeout.count());
      }
      if (pending.attempt >= max_deliveries) {
        dead_letter(p, offset, pending);
        continue;
      }
      out.push_back(deliver(p, pending.record, pending.attempt + 1, now));
    }
  }
  // Then new records, while the in-flight bound allows.
  for (auto& [id, p] : partitions_) {
    while (out.size() < max && in_flight_ < options_.max_in_flight) {
      if (p.buffered.empty()) {
        if (auto st = fetch(p); !st) return st.error();
        if (p.buffered.empty()) break;
      }
      Record r = std::move(p.buffered.front());
      p.buffered.pop_front();
      ++in_flight_;
      out.push_back(deliver(p, r, 1, now));
    }
  }
  if (now - last_commit_ >= options_.commit_interval) {
    commit();
    last_commit_ = now;
  }
  return out;
}

void Consumer::ack(int32_t partition, int64_t offset) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;  // revoked meanwhile; the new owner redelivers
  auto pit = it->second.pending.find(offset);
  if (pit == it->second.pending.end() || pit->second.dead_lettering) return;
  it->second.pending.erase(pit);
  --in_flight_;
}

void Consumer::nack(int32_t partition, int64_t offset, std::string reason, Clock::time_point now) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  auto pit = it->second.pending.find(offset);
  if (pit == it->second.pending.end() || pit->second.dead_lettering) return;
  pit->second.last_error = std::move(reason);
  pit->second.waiting_redelivery = true;
  pit->second.deadline = now + redelivery_backoff(pit->second.attempt);
}

Topic* Consumer::dead_letter_topic() {
  const std::string name = topic_->dead_letter_topic();
  if (Topic* t = store_.find_topic(name)) return t;
  TopicConfig config;
  config.fsync = topic_->config().fsync;
  config.max_message_bytes = topic_->config().max_message_bytes + 64 * 1024;
  auto created = store_.open_topic(name, config);
  if (!created) {
    spdlog::error("cannot open dead-letter topic {}: {}", name, created.error().message());
    return nullptr;
  }
  return *created;
}

void Consumer::dead_letter(PartitionState& p, int64_t offset, Pending& pending) {
  Topic* dlq = dead_letter_topic();
  if (!dlq) {
    pending.deadline = Clock::now() + std::chrono::seconds(1);
    return;
  }
  Record r = pending.record;
  r.timestamp_ms = now_ms();
  auto set = [&r](std::string_view key, std::string value) {
    std::erase_if(r.headers, [&](const RecordHeader& h) { return h.key == key; });
    r.headers.push_back({std::string(key), std::move(value)});
  };
  set(kDeadLetterReasonHeader, pending.last_error);
  set(kDeadLetterSourceHeader, fmt::format("{}/{}/{}", options_.topic, p.id, offset));
  set(kAttemptsHeader, std::to_string(pending.attempt));
  set("x-junction-group", options_.group);
  set("x-junction-failed-at", std::to_string(r.timestamp_ms));
  pending.dead_lettering = true;
  ++dead_letters_pending_;
  spdlog::warn(
      "group {} topic {} partition {} offset {}: dead-lettered to {} after {} deliveries: {}",
      options_.group, options_.topic, p.id, offset, dlq->name(), pending.attempt,
      pending.last_error);
  std::weak_ptr<Shared> weak = shared_;
  const int32_t part = p.id;
  store_.produce(*dlq, -1, std::span(&r, 1), [weak, part, offset](Result<AppendResult> res) {
    auto shared = weak.lock();
    if (!shared) return;
    {
      std::lock_guard lock(shared->mu);
      if (res) {
        shared->dead_lettered.emplace_back(part, offset);
      } else {
        shared->dead_letter_failed.emplace_back(part, offset, res.error().message());
      }
    }
    shared->ring();
  });
}

void Consumer::commit() {
  if (!options_.commit) return;
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    PartitionState& p = it->second;
    const int64_t low = p.low_water();
    if (low <= p.committed) {
      ++it;
      continue;
    }
    const auto group = options_.group;
    const auto topic = options_.topic;
    const int32_t id = p.id;
    // Named with the tenure we know: a rebalance we have not seen yet may
    // have given the partition to another member, who committed its own
    // progress, and back to us; ownership alone would let our stale low
    // water overwrite that.
    auto verdict =
        store_.groups().commit_as(group, topic, member_, std::span(&id, 1), p.owned_since, [&] {
          store_.offsets().commit(group, topic, id, low, [group, topic, id](Status st) {
            if (!st) {
              spdlog::warn("group {} topic {} partition {}: offset commit failed: {}", group, topic,
                           id, st.error().message());
            }
          });
        });
    if (verdict.check == GroupCoordinator::CommitCheck::kDone) {
      p.committed = low;
      ++it;
      continue;
    }
    // Not ours as we knew it: dropped as assign() drops a revoked partition,
    // so nothing more of what we read is delivered. The assignment on its
    // way starts it over from the committed offset if it is ours again; what
    // was acked and not committed is delivered again, never skipped.
    spdlog::debug(
        "group {} topic {} partition {}: commit refused by the group (generation {}); "
        "dropping what was read of it",
        group, topic, id, verdict.generation);
    in_flight_ -= p.pending.size();
    it = partitions_.erase(it);
  }
}

namespace {

// Calls `done` once `count` calls came in, with the first failure.
std::function<void(Status)> after_all(size_t count, std::function<void(Status)> done) {
  struct Join {
    std::mutex mu;
    size_t left = 0;
    Status first;
    std::function<void(Status)> done;
  };
  auto join = std::make_shared<Join>();
  join->left = count;
  join->done = std::move(done);
  return [join](Status st) {
    std::function<void(Status)> done;
    Status result;
    {
      std::lock_guard lock(join->mu);
      if (!st && join->first) join->first = std::move(st);
      if (--join->left > 0) return;
      done = std::move(join->done);
      result = std::move(join->first);
    }
    done(std::move(result));
  };
}

}  // namespace

GroupCoordinator::CommitVerdict Consumer::commit_through(const std::map<int32_t, int64_t>& offsets,
                                                         std::optional<uint64_t> generation,
                                                         std::function<void(Status)> done) {
  using CommitCheck = GroupCoordinator::CommitCheck;
  apply_inbox(Clock::now());
  std::vector<int32_t> parts;
  std::vector<std::pair<int32_t, int64_t>> moved;  // (partition, its new committed offset)
  for (const auto& [partition, offset] : offsets) {
    auto it = partitions_.find(partition);
    if (it == partitions_.end()) {
      const bool member =
          store_.groups().heartbeat(options_.group, options_.topic, member_).has_value();
      return {member ? CommitCheck::kNotOwner : CommitCheck::kUnknownMember, partition};
    }
    parts.push_back(partition);
    const int64_t low = it->second.low_water_through(offset);
    if (low > it->second.committed) moved.emplace_back(partition, low);
  }
  // Nothing is acked before the coordinator agrees: a refused commit leaves
  // the member's deliveries as they were. One count more than the writes is
  // ours, given once they are all issued, so `done` runs neither before that
  // nor at all when refused.
  auto written = after_all(moved.size() + 1, std::move(done));
  auto verdict =
      store_.groups().commit_as(options_.group, options_.topic, member_, parts, generation, [&] {
        for (const auto& [partition, low] : moved) {
          store_.offsets().commit(options_.group, options_.topic, partition, low, written);
        }
      });
  if (verdict.check != CommitCheck::kDone) return verdict;
  for (const auto& [partition, offset] : offsets) {
    in_flight_ -= partitions_.at(partition).ack_through(offset);
  }
  for (const auto& [partition, low] : moved) partitions_.at(partition).committed = low;
  written(ok_status());
  return verdict;
}

std::optional<Consumer::Clock::time_point> Consumer::next_deadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& [id, p] : partitions_) {
    for (const auto& [offset, pending] : p.pending) {
      if (pending.dead_lettering) continue;
      if (!next || pending.deadline < *next) next = pending.deadline;
    }
  }
  return next;
}

void Consumer::arm() {
  std::weak_ptr<Shared> weak = shared_;
  for (auto& [id, p] : partitions_) {
    if (!p.buffered.empty()) continue;
    if (p.armed->exchange(true)) continue;  // one waiter per partition at a time
    topic_->partition(id).notify_when_above(p.next_fetch, [weak, armed = p.armed] {
      armed->store(false);
      if (auto shared = weak.lock()) shared->ring();
    });
  }
}

std::vector<int32_t> Consumer::assigned() const {
  std::vector<int32_t> out;
  for (const auto& [id, p] : partitions_) out.push_back(id);
  return out;
}

size_t Consumer::in_flight() const {
  return in_flight_;
}

size_t Consumer::dead_letters_pending() const {
  return dead_letters_pending_;
}

}  // namespace junction::log
