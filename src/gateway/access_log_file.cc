#include "gateway/access_log_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace junction::gateway {

Result<std::shared_ptr<AccessLogFile>> AccessLogFile::open(const std::string& path, Duration flush,
                                                           uint64_t max_buffer,
                                                           observe::Registry& metrics) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Error::invalid("access log " + path +
                          ": cannot open for appending: " + std::strerror(errno));
  }
  auto* dropped = &metrics.counter("junction_gateway_access_log_dropped_total",
                                   "access log lines dropped because the writer fell behind");
  return std::shared_ptr<AccessLogFile>(new AccessLogFile(fd, path, flush, max_buffer, dropped));
}

AccessLogFile::AccessLogFile(int fd, std::string path, Duration flush, uint64_t max_buffer,
                             observe::Counter* dropped)
    : fd_(fd),
      path_(std::move(path)),
      flush_(flush),
      max_buffer_(max_buffer),
      dropped_(dropped),
      writer_([this] { run(); }) {}

AccessLogFile::~AccessLogFile() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  writer_.join();
  ::close(fd_);
}

AccessLogFile::Lane* AccessLogFile::new_lane() {
  std::lock_guard lock(mu_);
  lanes_.push_back(std::unique_ptr<Lane>(new Lane(this)));
  return lanes_.back().get();
}

bool AccessLogFile::Lane::append(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (buf_.size() + line.size() + 1 > owner_->max_buffer_) {
      owner_->dropped_->inc();
      return false;
    }
    buf_.append(line);
    buf_.push_back('\n');
    // Waking the writer costs a syscall: once per fill, not per line.
    if (!signalled_ && buf_.size() >= owner_->max_buffer_ / 4) {
      signalled_ = true;
      wake = true;
    }
  }
  if (wake) {
    {
      std::lock_guard lock(owner_->mu_);
      owner_->wake_ = true;
    }
    owner_->cv_.notify_one();
  }
  return true;
}

void AccessLogFile::run() {
  std::string scratch;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, flush_, [this] { return stop_ || wake_; });
    wake_ = false;
    bool stopping = stop_;
    lock.unlock();
    drain(scratch);
    lock.lock();
    if (stopping) return;
  }
}

// Takes each lane's lines (swapping buffers, so the lane keeps its capacity
// and the lock is held for a pointer swap) and writes them outside the locks.
void AccessLogFile::drain(std::string& scratch) {
  std::vector<Lane*> lanes;
  {
    std::lock_guard lock(mu_);
    for (auto& lane : lanes_) lanes.push_back(lane.get());
  }
  for (Lane* lane : lanes) {
    scratch.clear();
    {
      std::lock_guard lock(lane->mu_);
      lane->buf_.swap(scratch);
      lane->signalled_ = false;
    }
    if (!scratch.empty()) write_all(scratch);
  }
}

void AccessLogFile::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!write_failed_) {
        spdlog::error("access log {}: write failed: {}; lines are dropped until it recovers", path_,
                      std::strerror(errno));
        write_failed_ = true;
      }
      dropped_->inc(static_cast<uint64_t>(std::count(bytes.begin(), bytes.end(), '\n')));
      return;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  write_failed_ = false;
}

}  // namespace junction::gateway
