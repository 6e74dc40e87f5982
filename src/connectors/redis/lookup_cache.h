#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/units.h"

namespace junction::connectors::redis {

// Lookup results by key for `ttl`, at most `capacity` of them; when full,
// the least recently used goes first. A miss (the key does not exist) is
// cached too, as an empty optional, so a flood of unknown keys does not
// reach Redis either. Single-threaded: the processor's executor.
class LookupCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Value = std::optional<std::string>;  // the reply as JSON text; nullopt = no such key

  LookupCache(Duration ttl, size_t capacity) : ttl_(ttl), capacity_(capacity) {}

  bool enabled() const { return ttl_ > Duration::zero() && capacity_ > 0; }
  // The cached value, or nullptr when absent or expired.
  const Value* find(const std::string& key, Clock::time_point now);
  void put(const std::string& key, Value value, Clock::time_point now);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Value value;
    Clock::time_point expiry;
    std::list<std::string>::iterator lru;  // its place in lru_
  };
  Duration ttl_;
  size_t capacity_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recently used first
};

}  // namespace junction::connectors::redis
