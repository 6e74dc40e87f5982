#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::components {

// How far one file was read with every record before it settled ok.
struct FileCheckpoint {
  uint64_t offset = 0;     // resume here
  uint64_t size_seen = 0;  // the file's size when last read: smaller later = truncated
  uint64_t inode = 0;      // another inode at the path = rotated

  bool operator==(const FileCheckpoint&) const = default;
};

// By absolute file path.
using CheckpointMap = std::map<std::string, FileCheckpoint>;

// <storage_dir>/checkpoints/<flow>-<hash of the absolute input path>.json:
// one file per input, so that two flows, or one flow's input moved to another
// path, never share progress.
std::filesystem::path checkpoint_file(const std::filesystem::path& storage_dir,
                                      std::string_view flow, const std::filesystem::path& input);

// {"files":{"/abs/path":{"offset":N,"size_seen":M,"inode":I}}}
std::string encode_checkpoints(const CheckpointMap& files);
Result<CheckpointMap> decode_checkpoints(std::string_view text);

// Blocking. A missing file is an empty map.
Result<CheckpointMap> load_checkpoints(const std::filesystem::path& file);
// Blocking. Writes a temporary file, fsyncs it and renames it over `file`, so
// a crash leaves either the old or the new checkpoint, never a torn one.
Status save_checkpoints(const std::filesystem::path& file, const CheckpointMap& files);

}  // namespace junction::components
