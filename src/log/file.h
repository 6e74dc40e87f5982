#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::log {

// A POSIX file descriptor with the few calls the log needs. Errors come back
// as values with the path and errno text; a full disk (ENOSPC, EDQUOT) is
// `overloaded`, everything else `transient`.
class File {
 public:
  File() = default;
  ~File();
  File(File&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Opens read-write, creating the file when `create` is set.
  static Result<File> open(const std::filesystem::path& path, bool create);

  bool is_open() const { return fd_ >= 0; }
  const std::filesystem::path& path() const { return path_; }

  Result<uint64_t> size() const;
  // Writes all of `data` at `offset` (pwrite, looping on short writes).
  Status write_at(uint64_t offset, std::string_view data);
  // Writes the buffers back to back at `offset` with pwritev (one syscall per
  // IOV_MAX buffers, looping on short writes).
  Status write_at(uint64_t offset, std::span<const std::string_view> parts);
  // Reads up to `length` bytes at `offset`; fewer only at end of file.
  Result<std::string> read_at(uint64_t offset, size_t length) const;
  Status sync_data();
  // Reserves disk blocks for [offset, offset + length) without changing the
  // file's size (fallocate with FALLOC_FL_KEEP_SIZE), so later writes there
  // allocate nothing. Fails where the file system has no fallocate.
  Status reserve(uint64_t offset, uint64_t length);
  // Starts writeback of [offset, offset + length) without waiting for it
  // (sync_file_range WRITE): durability still needs sync_data().
  Status start_writeback(uint64_t offset, uint64_t length);
  Status truncate(uint64_t length);
  void close();

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// Makes a directory entry change (create, rename, unlink) durable.
Status sync_directory(const std::filesystem::path& dir);

}  // namespace junction::log
