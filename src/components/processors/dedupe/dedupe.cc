#include "components/processors/dedupe/dedupe.h"

#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <string_view>
#include <unordered_set>

#include "script/engine.h"

namespace junction::components {
namespace {

constexpr int64_t kMaxKeysLimit = 100'000'000;
constexpr Duration kMaxTtl = std::chrono::hours(24 * 3650);

// Drops a message whose key already passed within `ttl`.
//
// The keys are kept in memory for now (the embedded state store comes
// later), so a restart forgets them and a message redelivered after a restart
// passes again. Memory is bounded by `max_keys`: when full, the oldest key is
// evicted early, and a message with that key would pass again.
//
// The window starts when a key first passes; a dropped duplicate does not
// extend it, so a key that keeps arriving still expires. With one ttl for
// all keys, insertion order is expiry order: a FIFO of (expiry, key) purged
// from its front on each call keeps expiry amortised O(1).
class DedupeProcessor final : public flow::Processor {
 public:
  using Clock = std::chrono::steady_clock;

  DedupeProcessor(script::Engine* scripts, int chunk, Duration ttl, size_t max_keys)
      : scripts_(scripts), chunk_(chunk), ttl_(ttl), max_keys_(max_keys) {}

  Status process(Message& msg, MessageBatch& out) override {
    auto key = scripts_->eval_string(chunk_, msg);
    if (!key.ok()) return key.error().wrap("dedupe key");

    const auto now = Clock::now();
    purge(now);
    if (seen_.contains(*key)) {
      msg.ack.ok();  // a duplicate is done with: its first copy went on
      return ok_status();
    }
    if (seen_.size() >= max_keys_) evict_oldest();
    auto it = seen_.insert(std::move(key).value()).first;
    // Elements of a node-based set never move, so the FIFO can point into it.
    expiries_.push_back({now + std::chrono::duration_cast<Clock::duration>(ttl_), *it});
    out.push_back(std::move(msg));
    return ok_status();
  }

 private:
  // Transparent, so that a FIFO entry's string_view finds its key without a copy.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  struct Entry {
    Clock::time_point expiry;
    std::string_view key;  // the string in seen_
  };

  void purge(Clock::time_point now) {
    while (!expiries_.empty() && expiries_.front().expiry <= now) evict_oldest();
  }

  void evict_oldest() {
    // Each key in seen_ has exactly one entry here (a key is inserted only
    // when absent), so erasing by the entry's key is exact.
    auto it = seen_.find(expiries_.front().key);
    expiries_.pop_front();
    if (it != seen_.end()) seen_.erase(it);
  }

  script::Engine* scripts_;
  int chunk_;
  Duration ttl_;
  size_t max_keys_;
  std::unordered_set<std::string, KeyHash, std::equal_to<>> seen_;
  std::deque<Entry> expiries_;
};

}  // namespace

void register_dedupe_processor(flow::ComponentRegistry& registry) {
  flow::ComponentInfo info;
  info.name = "dedupe";
  info.kind = spec::ComponentKind::kProcessor;
  info.summary = "Drops messages whose key already passed within a time window.";
  info.doc =
      "`key` is a Lua expression over `msg` (the decoded payload), `meta` and `key`; a nil result "
      "is an error. The first message with a key passes; later ones within `ttl` of it are "
      "dropped and acknowledged. Keys are held in memory: a restart forgets them, and when "
      "`max_keys` are held the oldest is forgotten early, so its key can pass again.\n"
      "Example: `- dedupe: { key: msg.order_id, ttl: 10m }`.";
  info.schema.primary = "key";
  info.schema.fields = {
      {"key", spec::FieldType::kString, "", "Lua expression giving the deduplication key.", true},
      {"ttl", spec::FieldType::kDuration, "1h", "How long a key is remembered after it passed."},
      {"max_keys", spec::FieldType::kInt, "1000000",
       "Keys remembered at most; when full the oldest is forgotten."},
  };
  info.make_processor =
      [](const spec::Config& c,
         flow::ComponentContext& ctx) -> Result<std::unique_ptr<flow::Processor>> {
    if (c.str("key").empty()) return Error::invalid("key: an expression is required");
    // The cap keeps now + ttl far from overflowing the clock's nanoseconds.
    if (c.duration("ttl") <= Duration::zero() || c.duration("ttl") > kMaxTtl) {
      return Error::invalid("ttl must be above 0 and at most 3650d");
    }
    int64_t max_keys = c.integer("max_keys");
    if (max_keys < 1 || max_keys > kMaxKeysLimit) {
      return Error::invalid(
          fmt::format("max_keys must be between 1 and {}, not {}", kMaxKeysLimit, max_keys));
    }
    if (!ctx.scripts) return Error::permanent("dedupe: no script engine in this context");
    auto chunk =
        ctx.scripts->compile_expression(c.str("key"), ctx.step.empty() ? "dedupe" : ctx.step);
    if (!chunk.ok()) return chunk.error().wrap("key");
    return std::unique_ptr<flow::Processor>(std::make_unique<DedupeProcessor>(
        ctx.scripts, *chunk, c.duration("ttl"), static_cast<size_t>(max_keys)));
  };
  registry.add(std::move(info));
}

}  // namespace junction::components
