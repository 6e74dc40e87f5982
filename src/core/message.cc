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

namespace {

constexpr char kIdAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr int kTimeChars = 10;     // 48 bits of milliseconds (50 bits of room)
constexpr int kTagChars = 3;       // 15 bits naming the thread
constexpr int kCounterChars = 13;  // 65 bits counting from a random base
constexpr int kIdChars = kTimeChars + kTagChars + kCounterChars;

// One thread's ids: the last one made, its time part written only when the
// millisecond changes and its counter part advanced in place, a carry at a
// time. Made whole each call, an id cost about 250 instructions, and a
// proxied request made two (callgrind, bench/gateway).
struct IdState {
  char id[kIdChars];
  uint8_t counter[kCounterChars];  // the counter's base-32 digits, as in id
  uint64_t ms = ~uint64_t{0};

  IdState() {
    std::random_device random;
    uint64_t base = random() | (uint64_t{random()} << 32);
    for (int i = kCounterChars - 1; i >= 0; --i) {
      counter[i] = static_cast<uint8_t>(base & 31);
      id[kTimeChars + kTagChars + i] = kIdAlphabet[counter[i]];
      base >>= 5;
    }
    uint32_t tag = random();
    for (int i = kTagChars - 1; i >= 0; --i) {
      id[kTimeChars + i] = kIdAlphabet[tag & 31];
      tag >>= 5;
    }
  }

  void next() {
    // The tick-old clock: ids made within one tick differ by the counter.
    const auto now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               coarse_system_now().time_since_epoch())
                                               .count());
    if (now != ms) {
      ms = now;
      uint64_t rest = now;
      for (int i = kTimeChars - 1; i >= 0; --i) {
        id[i] = kIdAlphabet[rest & 31];
        rest >>= 5;
      }
    }
    for (int i = kCounterChars - 1; i >= 0; --i) {
      counter[i] = static_cast<uint8_t>((counter[i] + 1) & 31);
      id[kTimeChars + kTagChars + i] = kIdAlphabet[counter[i]];
      if (counter[i] != 0) break;  // no carry
    }
  }
};

}  // namespace

void new_message_id(std::string& out) {
  // ULID layout: 48 bits of milliseconds, then 80 bits that only need to be
  // unique: a random base per thread plus a counter. Per thread, because one
  // shared atomic counter is a cache line every I/O thread fights over.
  thread_local IdState state;
  state.next();
  out.assign(state.id, kIdChars);
}

std::string new_message_id() {
  std::string id;
  new_message_id(id);
  return id;
}

}  // namespace junction
