#include "log/compression.h"

#include <lz4frame.h>
#include <zstd.h>

#include <memory>

#include "fmt/format.h"

namespace junction::log {
namespace {

Result<std::string> lz4_compress(std::string_view plain) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  std::string out(LZ4F_compressFrameBound(plain.size(), &prefs), '\0');
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), plain.data(), plain.size(), &prefs);
  if (LZ4F_isError(n)) return Error::permanent(fmt::format("lz4: {}", LZ4F_getErrorName(n)));
  out.resize(n);
  return out;
}

Result<std::string> lz4_decompress(std::string_view packed, size_t max_size) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
    return Error::transient("lz4: cannot create a decompression context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx(
      raw, &LZ4F_freeDecompressionContext);
  std::string out;
  const char* src = packed.data();
  size_t left = packed.size();
  char chunk[64 * 1024];
  while (left > 0) {
    size_t dst_size = sizeof(chunk);
    size_t src_size = left;
    const size_t hint = LZ4F_decompress(ctx.get(), chunk, &dst_size, src, &src_size, nullptr);
    if (LZ4F_isError(hint)) {
      return Error::invalid(fmt::format("lz4: {}", LZ4F_getErrorName(hint)));
    }
    out.append(chunk, dst_size);
    if (out.size() > max_size) return Error::invalid("lz4: decompressed size over the bound");
    src += src_size;
    left -= src_size;
    if (hint == 0) break;
    if (src_size == 0 && dst_size == 0) return Error::invalid("lz4: truncated frame");
  }
  return out;
}

Result<std::string> zstd_compress(std::string_view plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  if (ZSTD_isError(n)) return Error::permanent(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  out.resize(n);
  return out;
}

Result<std::string> zstd_decompress(std::string_view packed, size_t max_size) {
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(),
                                                                &ZSTD_freeDStream);
  if (!ds) return Error::transient("zstd: cannot create a decompression stream");
  ZSTD_initDStream(ds.get());
  std::string out;
  ZSTD_inBuffer in{packed.data(), packed.size(), 0};
  char chunk[64 * 1024];
  for (;;) {
    ZSTD_outBuffer o{chunk, sizeof(chunk), 0};
    const size_t ret = ZSTD_decompressStream(ds.get(), &o, &in);
    if (ZSTD_isError(ret)) return Error::invalid(fmt::format("zstd: {}", ZSTD_getErrorName(ret)));
    out.append(chunk, o.pos);
    if (out.size() > max_size) return Error::invalid("zstd: decompressed size over the bound");
    if (ret == 0 && in.pos == in.size) break;  // the frame is complete
    // Output space left over with no input left means the frame was cut short.
    if (in.pos == in.size && o.pos < o.size) return Error::invalid("zstd: truncated frame");
  }
  return out;
}

}  // namespace

Result<std::string> compress(Compression codec, std::string_view plain) {
  switch (codec) {
    case Compression::kNone:
      return std::string(plain);
    case Compression::kLz4:
      return lz4_compress(plain);
    case Compression::kZstd:
      return zstd_compress(plain);
    default:
      return Error::invalid(fmt::format("compression {} is not supported", to_string(codec)));
  }
}

Result<std::string> decompress(Compression codec, std::string_view packed, size_t max_size) {
  switch (codec) {
    case Compression::kNone:
      return std::string(packed);
    case Compression::kLz4:
      return lz4_decompress(packed, max_size);
    case Compression::kZstd:
      return zstd_decompress(packed, max_size);
    default:
      return Error::invalid(fmt::format("compression {} is not supported", to_string(codec)));
  }
}

}  // namespace junction::log
