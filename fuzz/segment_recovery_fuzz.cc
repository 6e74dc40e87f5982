// libFuzzer target: segment recovery on arbitrary file contents. The scan
// must never crash, must stop at a batch boundary inside the file, and the
// prefix it calls valid must decode completely.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "log/record_batch.h"
#include "log/segment_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace junction::log;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  uint64_t batches_end = 0;
  auto outcome = scan_batches(bytes, 0, [&](const BatchHeader& h, uint64_t pos) {
    if (pos != batches_end) std::abort();
    batches_end = pos + h.total_size();
  });
  if (outcome.valid_bytes > size || outcome.valid_bytes != batches_end) std::abort();
  if (outcome.state == ScanOutcome::State::kClean && outcome.valid_bytes != size) std::abort();
  std::string_view valid = bytes.substr(0, outcome.valid_bytes);
  while (!valid.empty()) {
    auto h = parse_batch_header(valid);
    if (!h) std::abort();
    // A CRC-valid batch can still hold malformed records (the CRC is not a
    // signature); decoding must fail cleanly then, never crash.
    (void)decode_batch(valid.substr(0, h->total_size()), 1 << 20);
    valid.remove_prefix(h->total_size());
  }
  return 0;
}
