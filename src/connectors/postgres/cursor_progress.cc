#include "connectors/postgres/cursor_progress.h"

namespace junction::connectors::postgres {

uint64_t CursorProgress::emitted(std::string cursor, Buffer payload) {
  const uint64_t seq = next_seq_++;
  cursors_.emplace(seq, std::move(cursor));
  tracker_.add(seq, std::move(payload));
  return seq;
}

void CursorProgress::settled_ok(uint64_t seq) {
  tracker_.settled_ok(seq);
  advance();
}

void CursorProgress::settled_failed(uint64_t seq, Clock::time_point now) {
  tracker_.settled_failed(seq, now);
}

void CursorProgress::advance() {
  const uint64_t low = tracker_.low_water(next_seq_);  // every row below is settled ok
  const auto first_open = cursors_.lower_bound(low);
  const std::string* boundary = first_open == cursors_.end() ? nullptr : &first_open->second;
  for (auto it = first_open; it != cursors_.begin();) {
    --it;
    if (boundary && it->second == *boundary) continue;  // ties with an open row wait for it
    checkpoint_ = it->second;
    cursors_.erase(cursors_.begin(), std::next(it));
    return;
  }
}

}  // namespace junction::connectors::postgres
