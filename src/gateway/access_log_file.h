#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/units.h"
#include "observe/metrics.h"

namespace junction::gateway {

// The access log as a file of JSON lines of its own, like nginx's
// `access_log path buffer=... flush=...`: each I/O thread appends to a lane
// (a buffer behind a mutex that only it and the writer take, so the lock is
// almost never contended and never makes a syscall), and one writer thread
// moves the lanes' lines to the file every `flush`, or sooner when a lane
// fills a quarter of `max_buffer`. An I/O thread never touches the disk.
// A lane that reaches `max_buffer` drops lines, counted in
// junction_gateway_access_log_dropped_total: the log never slows requests.
//
// The file is opened O_APPEND, so a log rotated by renaming goes on in the
// old file until a SIGHUP reload opens the path again.
class AccessLogFile {
 public:
  class Lane {
   public:
    // Appends `line` and a newline; false (and counted) when the lane is full.
    bool append(std::string_view line);

   private:
    friend class AccessLogFile;
    explicit Lane(AccessLogFile* owner) : owner_(owner) {}
    AccessLogFile* owner_;
    std::mutex mu_;
    std::string buf_;
    bool signalled_ = false;  // the writer was woken for this fill
  };

  // Error::invalid naming the path when it cannot be opened for appending.
  static Result<std::shared_ptr<AccessLogFile>> open(const std::string& path, Duration flush,
                                                     uint64_t max_buffer,
                                                     observe::Registry& metrics);
  // Writes what the lanes hold, then closes the file.
  ~AccessLogFile();

  // A lane for one I/O thread; it lives as long as this file.
  Lane* new_lane();

 private:
  AccessLogFile(int fd, std::string path, Duration flush, uint64_t max_buffer,
                observe::Counter* dropped);
  void run();
  void drain(std::string& scratch);
  void write_all(std::string_view bytes);

  const int fd_;
  const std::string path_;
  const Duration flush_;
  const uint64_t max_buffer_;
  observe::Counter* dropped_;

  std::mutex mu_;  // lanes_, stop_, wake_
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  bool stop_ = false;
  bool wake_ = false;
  bool write_failed_ = false;  // reported once
  std::thread writer_;
};

}  // namespace junction::gateway
