#include "components/outputs/file/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace junction::components {
namespace {

void sync_dir(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  ::fsync(dir);
  ::close(dir);
}

}  // namespace

Error file_error(std::string_view op, const std::string& path, int err) {
  std::string what = std::string(op) + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Error::overloaded("disk full: " + what);
  return Error::transient(what);
}

Status FileSink::open(const std::string& path) {
  std::lock_guard lock(mu_);
  return open_locked(path);
}

void FileSink::close() {
  std::lock_guard lock(mu_);
  close_locked();
}

void FileSink::close_locked() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  path_.clear();
  size_ = 0;
}

// A process killed in the middle of write() can leave part of a batch: the
// last line then has no newline. That batch was never acknowledged, so it
// will be written again; cutting back to the last newline keeps every line
// whole. Returns 0 or an errno.
int FileSink::drop_torn_tail(int fd, struct stat& st) {
  if (st.st_size == 0) return 0;
  char buf[4096];
  off_t end = st.st_size;
  while (end > 0) {
    off_t start = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
    ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - start), start);
    if (n < 0) return errno;
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (buf[i] != '\n') continue;
      off_t keep = start + i + 1;
      if (keep == st.st_size) return 0;  // ends with a newline: nothing torn
      if (::ftruncate(fd, keep) != 0) return errno;
      st.st_size = keep;
      return 0;
    }
    end = start;
  }
  if (::ftruncate(fd, 0) != 0) return errno;  // one torn line and nothing else
  st.st_size = 0;
  return 0;
}

Status FileSink::open_locked(const std::string& path) {
  close_locked();
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return file_error("create directory", parent.string(), ec.value());
  }
  // Read access too, to find a torn tail (see drop_torn_tail).
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return file_error("open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return file_error("stat", path, err);
  }
  if (int err = drop_torn_tail(fd, st); err != 0) {
    ::close(fd);
    return file_error("repair torn tail of", path, err);
  }
  // A new file is durable only once its directory entry is.
  if (opt_.fsync) sync_dir(path);
  fd_ = fd;
  path_ = path;
  size_ = static_cast<uint64_t>(st.st_size);
  return ok_status();
}

Status FileSink::rotate_locked() {
  const std::string path = path_;
  close_locked();
  // Renaming over path.<keep> drops the oldest.
  for (int i = opt_.keep - 1; i >= 1; --i) {
    std::string from = path + "." + std::to_string(i);
    std::string to = path + "." + std::to_string(i + 1);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return file_error("rename", from, errno);
    }
  }
  std::string first = path + ".1";
  if (::rename(path.c_str(), first.c_str()) != 0 && errno != ENOENT) {
    return file_error("rename", path, errno);
  }
  return open_locked(path);
}

Status FileSink::append(const std::string& path, std::string_view data) {
  std::lock_guard lock(mu_);
  if (fd_ < 0 || path != path_) {
    Status s = open_locked(path);
    if (!s.ok()) return s;
  }
  if (opt_.max_size > 0 && size_ > 0 && size_ + data.size() > opt_.max_size) {
    Status s = rotate_locked();
    if (!s.ok()) return s;
  }
  const uint64_t before = size_;
  std::string_view rest = data;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      Error e = file_error("write", path_, err);
      // Cannot cut it back: reopening re-reads the true size.
      if (::ftruncate(fd_, static_cast<off_t>(before)) != 0) close_locked();
      return e;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  size_ = before + data.size();
  if (opt_.fsync && ::fdatasync(fd_) != 0) {
    Error e = file_error("fdatasync", path_, errno);
    // After a failed sync the kernel may have dropped the dirty pages and
    // cleared the error; a fresh descriptor on the next batch is the safer bet.
    close_locked();
    return e;
  }
  return ok_status();
}

}  // namespace junction::components
