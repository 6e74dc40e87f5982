#include "connectors/kafka/partition_ledger.h"

#include <algorithm>

namespace junction::connectors::kafka {

uint64_t PartitionLedger::assign(const TopicPartition& tp) {
  (void)revoke(tp);  // a partition assigned again starts afresh
  Partition& p = partitions_[tp];
  p.generation = ++generations_;
  return p.generation;
}

std::optional<int64_t> PartitionLedger::revoke(const TopicPartition& tp) {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return std::nullopt;
  auto pos = position(it->second);
  for (auto& [offset, entry] : it->second.pending) unschedule(tp, offset, entry);
  in_flight_ -= it->second.pending.size();
  partitions_.erase(it);
  return pos;
}

std::optional<uint64_t> PartitionLedger::generation(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return std::nullopt;
  return it->second.generation;
}

PartitionLedger::Partition* PartitionLedger::find(const RecordRef& ref) {
  auto it = partitions_.find(ref.tp);
  if (it == partitions_.end() || it->second.generation != ref.generation) return nullptr;
  return &it->second;
}

bool PartitionLedger::take(const RecordRef& ref, Record record) {
  Partition* p = find(ref);
  // An offset below `next` was taken already: the consumer re-fetched it
  // (after a pause). Emitting it again would deliver it twice for nothing.
  if (!p || ref.offset < p->next) return false;
  p->next = ref.offset + 1;
  p->pending.emplace(ref.offset, Pending{std::move(record)});
  ++in_flight_;
  return true;
}

bool PartitionLedger::settled_ok(const RecordRef& ref) {
  Partition* p = find(ref);
  if (!p) return false;
  auto it = p->pending.find(ref.offset);
  if (it == p->pending.end()) return false;
  unschedule(ref.tp, ref.offset, it->second);
  p->pending.erase(it);
  --in_flight_;
  return true;
}

PartitionLedger::Outcome PartitionLedger::settled_failed(const RecordRef& ref, std::string reason,
                                                         Clock::time_point now,
                                                         std::optional<DeadLetter>* dead_letter,
                                                         bool retry) {
  Partition* p = find(ref);
  if (!p) return Outcome::kStale;
  auto it = p->pending.find(ref.offset);
  // Settled already, or waiting: a message settles once; a duplicate is stale.
  if (it == p->pending.end() || it->second.waiting || it->second.dead_lettering) {
    return Outcome::kStale;
  }
  Pending& entry = it->second;
  entry.reason = std::move(reason);
  if (!retry || entry.deliveries >= max_deliveries_) {
    entry.dead_lettering = true;
    *dead_letter = DeadLetter{ref, Record{entry.record.message.copy(), entry.record.value},
                              entry.reason, entry.deliveries};
    return Outcome::kDeadLetter;
  }
  schedule(ref.tp, ref.offset, entry, now + backoff(entry.deliveries));
  return Outcome::kRedeliver;
}

void PartitionLedger::dead_letter_failed(const RecordRef& ref, Clock::time_point now) {
  Partition* p = find(ref);
  if (!p) return;
  auto it = p->pending.find(ref.offset);
  if (it == p->pending.end() || !it->second.dead_lettering) return;
  schedule(ref.tp, ref.offset, it->second, now + backoff(it->second.deliveries));
}

void PartitionLedger::schedule(const TopicPartition& tp, int64_t offset, Pending& entry,
                               Clock::time_point due) {
  entry.waiting = true;
  entry.due = due;
  due_.emplace(due, std::make_pair(tp, offset));
}

void PartitionLedger::unschedule(const TopicPartition& tp, int64_t offset, const Pending& entry) {
  if (!entry.waiting) return;
  auto [lo, hi] = due_.equal_range(entry.due);
  for (auto it = lo; it != hi; ++it) {
    if (it->second.first == tp && it->second.second == offset) {
      due_.erase(it);
      return;
    }
  }
}

std::vector<PartitionLedger::Redelivery> PartitionLedger::take_due(Clock::time_point now,
                                                                   size_t max) {
  std::vector<Redelivery> out;
  for (auto it = due_.begin(); it != due_.end() && it->first <= now && out.size() < max;) {
    auto& [tp, offset] = it->second;
    Partition& p = partitions_.at(tp);
    Pending& entry = p.pending.at(offset);
    if (entry.dead_lettering) {
      ++it;  // a dead-letter retry: take_due_dead_letters() hands those out
      continue;
    }
    entry.waiting = false;
    ++entry.deliveries;
    out.push_back(
        {RecordRef{tp, p.generation, offset}, entry.record.message.copy(), entry.deliveries});
    it = due_.erase(it);
  }
  return out;
}

std::vector<PartitionLedger::DeadLetter> PartitionLedger::take_due_dead_letters(
    Clock::time_point now) {
  std::vector<DeadLetter> out;
  for (auto it = due_.begin(); it != due_.end() && it->first <= now;) {
    auto& [tp, offset] = it->second;
    Partition& p = partitions_.at(tp);
    Pending& entry = p.pending.at(offset);
    if (!entry.dead_lettering) {
      ++it;
      continue;
    }
    entry.waiting = false;
    out.push_back({RecordRef{tp, p.generation, offset},
                   Record{entry.record.message.copy(), entry.record.value}, entry.reason,
                   entry.deliveries});
    it = due_.erase(it);
  }
  return out;
}

std::optional<PartitionLedger::Clock::time_point> PartitionLedger::next_due() const {
  if (due_.empty()) return std::nullopt;
  return due_.begin()->first;
}

std::optional<int64_t> PartitionLedger::position(const Partition& p) {
  if (!p.pending.empty()) return p.pending.begin()->first;
  if (p.next < 0) return std::nullopt;
  return p.next;
}

std::vector<PartitionLedger::Commit> PartitionLedger::commits(bool all) const {
  std::vector<Commit> out;
  for (const auto& [tp, p] : partitions_) {
    auto pos = position(p);
    if (pos && (all || *pos > p.committed)) out.push_back({tp, *pos});
  }
  return out;
}

void PartitionLedger::mark_committed(const TopicPartition& tp, int64_t offset) {
  auto it = partitions_.find(tp);
  if (it != partitions_.end()) it->second.committed = std::max(it->second.committed, offset);
}

std::vector<TopicPartition> PartitionLedger::assigned() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, p] : partitions_) out.push_back(tp);
  return out;
}

std::chrono::milliseconds PartitionLedger::backoff(int failures) {
  // 100ms doubling up to 5s, as the topic input.
  int64_t ms = 100;
  for (int i = 1; i < failures && ms < 5000; ++i) ms *= 2;
  return std::chrono::milliseconds(std::min<int64_t>(ms, 5000));
}

}  // namespace junction::connectors::kafka
