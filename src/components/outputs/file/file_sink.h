#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::components {

// The blocking half of the file output: one open file, appended to, synced
// and rotated. Every method blocks and runs on the BlockingPool; a mutex
// orders the batches of concurrent flow workers.
class FileSink {
 public:
  struct Options {
    bool fsync = true;
    uint64_t max_size = 0;  // 0 = never rotate
    int keep = 5;           // rotated files kept: path.1 (newest) .. path.<keep>
  };

  explicit FileSink(Options o) : opt_(o) {}
  ~FileSink() { close(); }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  // Creates the parent directories and opens `path` for appending.
  Status open(const std::string& path);
  // Appends `data` to `path` (switching to it first when the path changed,
  // as {{date}} does), rotating first when `data` would take the file past
  // max_size. Returns only once the bytes are written, and synced when fsync
  // is on; on failure the file is cut back to its previous size, so a retry
  // does not follow a torn line.
  Status append(const std::string& path, std::string_view data);
  void close();

 private:
  Status open_locked(const std::string& path);
  static int drop_torn_tail(int fd, struct stat& st);
  Status rotate_locked();
  void close_locked();

  Options opt_;
  std::mutex mu_;
  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
};

// ENOSPC / EDQUOT -> Error::overloaded ("disk full"), anything else ->
// Error::transient, both naming the operation and the path.
Error file_error(std::string_view op, const std::string& path, int err);

}  // namespace junction::components
