#include "gateway/rate_limiter.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cmath>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

#include "core/sized_writer.h"
#include "resilience/token_bucket.h"

namespace junction::gateway {

using resilience::TakeResult;
using resilience::TokenBucket;

namespace {

uint64_t ceil_seconds(Duration d) {
  if (d <= Duration::zero()) return 0;
  auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return static_cast<uint64_t>(s);
}

// Keys up to kMaxKeyBytes are kept as they are; longer ones as "#" and
// their SHA-256 in hex: 65 bytes, so never equal to a kept key.
class BoundedKey {
 public:
  explicit BoundedKey(std::string_view key) : view_(key) {
    if (key.size() <= RateLimiter::kMaxKeyBytes) return;
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(key.data(), key.size(), digest.data(), &length, EVP_sha256(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    size_t n = 0;
    buffer_[n++] = '#';
    for (unsigned int i = 0; i < length && n + 2 <= buffer_.size(); ++i) {
      buffer_[n++] = kHex[digest[i] >> 4];
      buffer_[n++] = kHex[digest[i] & 0xf];
    }
    view_ = std::string_view(buffer_.data(), n);
  }
  std::string_view view() const { return view_; }

 private:
  std::array<char, 1 + 2 * 32> buffer_{};
  std::string_view view_;
};

}  // namespace

struct RateLimiter::Shard {
  struct Entry {
    std::string key;
    std::vector<TokenBucket> buckets;  // one per limit
  };

  mutable std::mutex mu;
  std::list<Entry> lru;  // most recently used first
  // Keys view Entry::key: list nodes never move.
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
  size_t capacity = 0;
  uint64_t evictions = 0;
  uint64_t evictions_while_limited = 0;
};

Duration RateLimit::window() const {
  double ns = static_cast<double>(burst) / per_second * 1e9;
  if (ns >= static_cast<double>(Duration::max().count())) return Duration::max();
  return Duration(static_cast<int64_t>(std::ceil(ns)));
}

Result<RateLimit> parse_rate_limit(std::string_view text) {
  std::string quoted = "rate limit '" + std::string(text) + "': ";
  auto rate = parse_rate(text);
  if (!rate) {
    return Error::invalid(quoted +
                          "expected <count>/<unit> with unit s, m or min, h, or d, optionally "
                          "followed by 'burst <count>', e.g. '1000/min' or '50/s burst 100'");
  }
  if (!(rate->per_second > 0)) return Error::invalid(quoted + "the count must be positive");
  if (rate->burst == 0) {
    return Error::invalid(
        quoted +
        "its burst is 0, so no request could pass; use a whole count per "
        "period ('30/min' rather than '0.5/s') or add 'burst <count>' of 1 or more");
  }
  if (static_cast<double>(rate->burst) > TokenBucket::kMaxBurst) {
    return Error::invalid(quoted + "the burst may be at most 1000000000");
  }
  return RateLimit{std::string(text), rate->per_second, rate->burst};
}

Result<RateLimiter> RateLimiter::create(std::vector<RateLimit> limits, RateLimiterOptions options) {
  if (limits.empty()) return Error::invalid("a rate limiter needs at least one limit");
  if (options.max_keys == 0) return Error::invalid("rate limiter max_keys must be at least 1");
  if (options.shards == 0) return Error::invalid("rate limiter shards must be at least 1");
  RateLimiter limiter;
  limiter.limits_ = std::move(limits);
  for (const auto& l : limiter.limits_) {
    if (!limiter.policy_.empty()) limiter.policy_ += ", ";
    limiter.policy_ += std::to_string(l.burst) + ";w=" + std::to_string(ceil_seconds(l.window()));
  }
  size_t shards = std::min(options.shards, options.max_keys);
  limiter.shards_ = std::vector<Shard>(shards);
  for (size_t i = 0; i < shards; ++i) {
    // Spread the remainder so that the shards add up to max_keys exactly.
    limiter.shards_[i].capacity = options.max_keys / shards + (i < options.max_keys % shards);
  }
  return limiter;
}

RateLimiter::RateLimiter(RateLimiter&&) noexcept = default;
RateLimiter& RateLimiter::operator=(RateLimiter&&) noexcept = default;
RateLimiter::~RateLimiter() = default;

RateLimiter::Decision RateLimiter::check(std::string_view key, TimePoint now, uint32_t cost) {
  BoundedKey bounded(key);
  std::string_view k = bounded.view();
  Shard& shard = shards_[std::hash<std::string_view>{}(k) % shards_.size()];

  boost::container::small_vector<TakeResult, 4> results;
  bool allowed = true;
  {
    std::lock_guard lock(shard.mu);
    auto found = shard.index.find(k);
    if (found != shard.index.end()) {
      // A hot key is already first: moving it would still write the list's
      // links, a cache line the I/O threads would pass back and forth.
      if (found->second != shard.lru.begin()) {
        shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
      }
    } else {
      if (shard.index.size() >= shard.capacity) {
        Shard::Entry& victim = shard.lru.back();
        ++shard.evictions;
        bool limited = std::any_of(victim.buckets.begin(), victim.buckets.end(), [&](auto& b) {
          return b.peek(now, 0).until_full > Duration::zero();
        });
        if (limited) ++shard.evictions_while_limited;
        shard.index.erase(victim.key);
        shard.lru.pop_back();
      }
      Shard::Entry entry{std::string(k), {}};
      entry.buckets.reserve(limits_.size());
      for (const auto& l : limits_) {
        entry.buckets.emplace_back(l.per_second, static_cast<double>(l.burst), now);
      }
      shard.lru.push_front(std::move(entry));
      shard.index.emplace(shard.lru.front().key, shard.lru.begin());
    }
    auto& buckets = shard.lru.front().buckets;
    if (buckets.size() == 1) {
      results.push_back(buckets.front().try_take(now, cost));
      allowed = results.back().allowed;
    } else {
      // All or nothing: a request one limit refuses must not drain the others.
      for (auto& b : buckets) {
        results.push_back(b.peek(now, cost));
        allowed = allowed && results.back().allowed;
      }
      if (allowed) {
        for (size_t i = 0; i < buckets.size(); ++i) results[i] = buckets[i].try_take(now, cost);
      }
    }
  }

  size_t pick = 0;
  for (size_t i = 1; i < results.size(); ++i) {
    const TakeResult& a = results[i];
    const TakeResult& b = results[pick];
    bool tighter = allowed ? std::floor(a.remaining) < std::floor(b.remaining) ||
                                 (std::floor(a.remaining) == std::floor(b.remaining) &&
                                  a.until_full > b.until_full)
                           : !a.allowed && (b.allowed || a.retry_after > b.retry_after);
    if (tighter) pick = i;
  }
  const TakeResult& r = results[pick];
  Decision d;
  d.allowed = allowed;
  d.limit_index = pick;
  d.limit = limits_[pick].burst;
  d.remaining = static_cast<uint64_t>(std::floor(r.remaining));
  d.reset_seconds = ceil_seconds(r.until_full);
  d.retry_after_seconds = allowed ? 0 : std::max<uint64_t>(1, ceil_seconds(r.retry_after));
  return d;
}

RateLimiter::HeaderFields RateLimiter::header_fields(const Decision& d) const {
  HeaderFields fields;
  fields.emplace_back("RateLimit-Limit", std::to_string(d.limit));
  fields.emplace_back("RateLimit-Remaining", std::to_string(d.remaining));
  fields.emplace_back("RateLimit-Reset", std::to_string(d.reset_seconds));
  fields.emplace_back("RateLimit-Policy", policy_);
  if (!d.allowed) fields.emplace_back("Retry-After", std::to_string(d.retry_after_seconds));
  return fields;
}

void RateLimiter::append_header_lines(const Decision& d, std::string& out) const {
  constexpr size_t kNumberLines = 4;  // Limit, Remaining, Reset, Retry-After
  constexpr size_t kMostPerNumberLine = 24 + SizedWriter::kMostNumber;
  SizedWriter w(out, kNumberLines * kMostPerNumberLine + policy_.size() + 24);
  const auto line = [&w](std::string_view name, uint64_t value) {
    w.text(name).number(value).text("\r\n");
  };
  line("RateLimit-Limit: ", d.limit);
  line("RateLimit-Remaining: ", d.remaining);
  line("RateLimit-Reset: ", d.reset_seconds);
  w.text("RateLimit-Policy: ").text(policy_).text("\r\n");
  if (!d.allowed) line("Retry-After: ", d.retry_after_seconds);
}

size_t RateLimiter::key_count() const {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.index.size();
  }
  return n;
}

uint64_t RateLimiter::evictions() const {
  uint64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.evictions;
  }
  return n;
}

uint64_t RateLimiter::evictions_while_limited() const {
  uint64_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.evictions_while_limited;
  }
  return n;
}

}  // namespace junction::gateway
