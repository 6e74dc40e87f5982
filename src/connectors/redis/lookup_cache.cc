#include "connectors/redis/lookup_cache.h"

namespace junction::connectors::redis {

const LookupCache::Value* LookupCache::find(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (it->second.expiry <= now) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second.value;
}

void LookupCache::put(const std::string& key, Value value, Clock::time_point now) {
  if (!enabled()) return;
  const auto expiry = now + std::chrono::duration_cast<Clock::duration>(ttl_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    it->second.value = std::move(value);
    it->second.expiry = expiry;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  entries_.emplace(key, Entry{std::move(value), expiry, lru_.begin()});
}

}  // namespace junction::connectors::redis
