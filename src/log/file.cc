#include "log/file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "fmt/format.h"

namespace junction::log {
namespace {

Error io_error(std::string_view what, const std::filesystem::path& path, int err) {
  auto text = fmt::format("{} {}: {}", what, path.string(), std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) return Error::overloaded(std::move(text));
  return Error::transient(std::move(text));
}

}  // namespace

File::~File() {
  close();
}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

Result<File> File::open(const std::filesystem::path& path, bool create) {
  const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return io_error("cannot open", path, errno);
  File f;
  f.fd_ = fd;
  f.path_ = path;
  return f;
}

Result<uint64_t> File::size() const {
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) return io_error("cannot seek", path_, errno);
  return static_cast<uint64_t>(end);
}

Status File::write_at(uint64_t offset, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path_, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return ok_status();
}

Status File::write_at(uint64_t offset, std::span<const std::string_view> parts) {
  std::vector<iovec> iov;
  iov.reserve(std::min<size_t>(parts.size(), IOV_MAX));
  size_t next = 0;
  while (next < parts.size()) {
    iov.clear();
    size_t want = 0;
    for (size_t i = next; i < parts.size() && iov.size() < IOV_MAX; ++i) {
      iov.push_back({const_cast<char*>(parts[i].data()), parts[i].size()});
      want += parts[i].size();
    }
    const size_t count = iov.size();
    size_t done = 0;
    size_t first = 0;  // first iovec not fully written
    while (done < want) {
      const ssize_t n = ::pwritev(fd_, iov.data() + first, static_cast<int>(count - first),
                                  static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("cannot write", path_, errno);
      }
      done += static_cast<size_t>(n);
      // Skip what was written: whole iovecs, then part of the next one.
      size_t left = static_cast<size_t>(n);
      while (first < count && left >= iov[first].iov_len) {
        left -= iov[first].iov_len;
        ++first;
      }
      if (first < count && left > 0) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
    offset += want;
    next += count;
  }
  return ok_status();
}

Result<std::string> File::read_at(uint64_t offset, size_t length) const {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path_, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

Status File::sync_data() {
  if (::fdatasync(fd_) != 0) return io_error("cannot fsync", path_, errno);
  return ok_status();
}

Status File::reserve(uint64_t offset, uint64_t length) {
  int rc;
  do {
    rc = ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                     static_cast<off_t>(length));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return io_error("cannot reserve space in", path_, errno);
  return ok_status();
}

Status File::start_writeback(uint64_t offset, uint64_t length) {
  if (::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                        SYNC_FILE_RANGE_WRITE) != 0) {
    return io_error("cannot start writeback of", path_, errno);
  }
  return ok_status();
}

Status File::truncate(uint64_t length) {
  if (::ftruncate(fd_, static_cast<off_t>(length)) != 0) {
    return io_error("cannot truncate", path_, errno);
  }
  return ok_status();
}

void File::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("cannot fsync directory", dir, err);
  return ok_status();
}

}  // namespace junction::log
