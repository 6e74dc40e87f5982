#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

// Blocking file-system calls of the file input; each runs on the BlockingPool.
namespace junction::components::file_io {

struct Found {
  std::string path;
  uint64_t inode = 0;
  uint64_t size = 0;
};

struct Scan {
  bool exists = false;       // `path` is there at all
  std::vector<Found> files;  // sorted by path
};

// `path` itself when it is a file; else the regular files directly in it
// whose name matches `glob` (fnmatch; empty = every file).
Result<Scan> scan(const std::filesystem::path& path, const std::string& glob);

struct Opened {
  int fd = -1;  // the caller owns it
  uint64_t inode = 0;
  uint64_t size = 0;
  // The first non-blank record and the offset just past it, when asked for
  // (a CSV file resumed past its header).
  std::optional<std::string> header;
  uint64_t header_end = 0;
};

Result<Opened> open(const std::string& path, bool want_csv_header, size_t max_record);

// Up to `max` bytes at `offset`; empty at the end of the file.
Result<std::string> read_at(int fd, uint64_t offset, size_t max, const std::string& path);

}  // namespace junction::components::file_io
