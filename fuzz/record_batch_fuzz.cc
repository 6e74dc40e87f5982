// libFuzzer target: the record batch decoder on arbitrary bytes. It must
// never crash or read out of bounds, and whatever it accepts must survive
// re-encoding unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "log/record_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace junction::log;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)parse_batch_header(bytes);
  (void)batch_crc_ok(bytes);
  auto records = decode_batch(bytes, 1 << 20);
  if (!records || records->empty()) return 0;
  auto header = parse_batch_header(bytes);
  auto again = encode_batch_keeping_offsets(*records, header->compression());
  if (!again) {
    // Offsets a real writer never produces (not ascending) are the only refusal.
    return 0;
  }
  auto round_trip = decode_batch(*again, 1 << 20);
  if (!round_trip || *round_trip != *records) std::abort();
  return 0;
}
