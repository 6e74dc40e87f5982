#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include "core/error.h"
#include "observe/metrics.h"

namespace junction::log {

struct AppendResult {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
};

using AppendCallback = std::function<void(Result<AppendResult>)>;

// What the journal counts, when metrics are attached (all optional).
struct JournalMetrics {
  observe::Counter* appends = nullptr;
  observe::Counter* append_errors = nullptr;
  observe::Counter* bytes = nullptr;
  observe::Counter* fsyncs = nullptr;
  observe::Histogram* fsync_seconds = nullptr;
  observe::Histogram* group_size = nullptr;  // appends per commit group
};

// An append the journal has dealt with: its outcome so far and who to tell.
// The batch itself is gone by then; only its size is kept, for the metrics.
struct Completion {
  AppendCallback callback;
  Result<AppendResult> result;
  size_t bytes = 0;
};

inline void complete(Completion& c, const JournalMetrics& metrics) {
  if (c.result) {
    if (metrics.appends) metrics.appends->inc();
    if (metrics.bytes) metrics.bytes->inc(c.bytes);
  } else if (metrics.append_errors) {
    metrics.append_errors->inc();
  }
  c.callback(std::move(c.result));
}

}  // namespace junction::log
