#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace junction::log {

// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Uses the
// SSE4.2 crc32 instruction when the CPU has it (three streams at once over
// long buffers when it also has PCLMULQDQ), else slicing-by-8 tables.
// `crc` chains calls: crc32c(crc32c(0, a), b) == crc32c(0, a ++ b).
uint32_t crc32c(uint32_t crc, std::span<const std::byte> data);

// The table-driven version whatever the CPU: the reference the hardware
// paths are tested against.
uint32_t crc32c_portable(uint32_t crc, std::span<const std::byte> data);

}  // namespace junction::log
