#pragma once

#include <unistd.h>

#include <cstdint>
#include <string>

#include "components/common/inflight.h"
#include "components/common/record_decoder.h"
#include "components/common/record_splitter.h"

namespace junction::components {

// One generation of one file: what the path named when it was opened. A
// rotated or truncated file gets a new generation; the old one lives on while
// its messages are unsettled, so their acks and redeliveries still land.
struct TrackedFile {
  TrackedFile(std::string file_path, int file_fd, uint64_t file_inode, uint64_t start,
              RecordFormat format, size_t max_line)
      : path(std::move(file_path)),
        fd(file_fd),
        inode(file_inode),
        size_seen(start),
        read_pos(start),
        splitter(max_line, format == RecordFormat::kCsv, start),
        decoder(format) {}
  ~TrackedFile() { close_fd(); }
  TrackedFile(const TrackedFile&) = delete;
  TrackedFile& operator=(const TrackedFile&) = delete;

  void close_fd() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  // Where a restart resumes: every record before it settled ok.
  uint64_t checkpoint() const { return inflight.low_water(splitter.consumed()); }

  std::string path;
  int fd;
  uint64_t inode;
  uint64_t size_seen;  // the largest size this file was seen to have
  uint64_t read_pos;   // next byte to read
  RecordSplitter splitter;
  RecordDecoder decoder;
  InflightTracker inflight;
  bool at_eof = false;    // read to the end; more only after the next poll
  bool finished = false;  // its tail was flushed: nothing more will be read from it
  bool detached = false;  // the path names another file now, or none: read to the end, then stop
};

}  // namespace junction::components
