#include "core/message.h"

#include <chrono>
#include <random>

#include "core/coarse_clock.h"

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
  // unique: a random base per thread plus a counter. Per thread, because one
  // shared atomic counter is a cache line every I/O thread fights over.
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  thread_local uint64_t next = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  thread_local const uint16_t thread_tag = static_cast<uint16_t>(std::random_device{}());
  // The tick-old clock: ids made within one tick differ by the counter.
  uint64_t ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(coarse_system_now().time_since_epoch())
          .count());
  uint64_t rnd = next++;
  char id[26];
  for (int i = 9; i >= 0; --i) {
    id[i] = kAlphabet[ms & 31];
    ms >>= 5;
  }
  // 13 characters (65 bits) from the counter, 3 (15 bits) from the thread's tag.
  for (int i = 25; i >= 13; --i) {
    id[i] = kAlphabet[rnd & 31];
    rnd >>= 5;
  }
  uint16_t tag = thread_tag;
  for (int i = 12; i >= 10; --i) {
    id[i] = kAlphabet[tag & 31];
    tag >>= 5;
  }
  return std::string(id, sizeof id);
}

}  // namespace junction
