#include "core/message.h"

#include <atomic>
#include <chrono>
#include <random>

namespace junction {

Message Message::copy() const {
  Message m;
  m.payload = payload;
  m.key = key;
  m.headers = headers;
  m.timestamp_ms = timestamp_ms;
  m.id = id;
  m.routes = routes;
  m.reply = reply;
  return m;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string new_message_id() {
  // ULID layout: 48 bits of milliseconds, then 80 bits that only need to be
  // unique; a per-process random base plus a counter is enough and cheap.
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  static const uint64_t base = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  static std::atomic<uint64_t> counter{0};
  uint64_t ms = static_cast<uint64_t>(now_ms());
  uint64_t rnd = base + counter.fetch_add(1, std::memory_order_relaxed);
  std::string id(26, '0');
  for (int i = 9; i >= 0; --i) {
    id[i] = kAlphabet[ms & 31];
    ms >>= 5;
  }
  for (int i = 25; i >= 10; --i) {
    id[i] = kAlphabet[rnd & 31];
    rnd >>= 5;
  }
  return id;
}

}  // namespace junction
