#include "components/inputs/file/file_io.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "components/common/record_decoder.h"
#include "components/common/record_splitter.h"

namespace junction::components::file_io {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error::transient(what + " " + path + ": " + std::strerror(err));
}

}  // namespace

Result<Scan> scan(const std::filesystem::path& path, const std::string& glob) {
  Scan out;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return out;
    return io_error("stat", path.string(), errno);
  }
  out.exists = true;
  if (!S_ISDIR(st.st_mode)) {
    out.files.push_back(
        {path.string(), static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size)});
    return out;
  }
  std::error_code ec;
  std::filesystem::directory_iterator it(path, ec);
  if (ec) return Error::transient("list " + path.string() + ": " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Error::transient("list " + path.string() + ": " + ec.message());
    const auto name = it->path().filename().string();
    if (!glob.empty() && ::fnmatch(glob.c_str(), name.c_str(), 0) != 0) continue;
    struct stat fst {};
    // Gone since listed, or a broken link: not a file to read now.
    if (::stat(it->path().c_str(), &fst) != 0 || !S_ISREG(fst.st_mode)) continue;
    out.files.push_back({it->path().string(), static_cast<uint64_t>(fst.st_ino),
                         static_cast<uint64_t>(fst.st_size)});
  }
  std::sort(out.files.begin(), out.files.end(),
            [](const Found& a, const Found& b) { return a.path < b.path; });
  return out;
}

Result<std::string> read_at(int fd, uint64_t offset, size_t max, const std::string& path) {
  std::string data(max, '\0');
  for (;;) {
    ssize_t n = ::pread(fd, data.data(), max, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("read", path, errno);
    data.resize(static_cast<size_t>(n));
    return data;
  }
}

Result<Opened> open(const std::string& path, bool want_csv_header, size_t max_record) {
  Opened out;
  out.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (out.fd < 0) return io_error("open", path, errno);
  struct stat st {};
  if (::fstat(out.fd, &st) != 0) {
    int err = errno;
    ::close(out.fd);
    return io_error("stat", path, err);
  }
  out.inode = static_cast<uint64_t>(st.st_ino);
  out.size = static_cast<uint64_t>(st.st_size);
  if (!want_csv_header) return out;
  RecordSplitter splitter(max_record, /*csv_quotes=*/true);
  std::vector<Record> records;
  std::vector<uint64_t> oversized;
  constexpr size_t kChunk = 64 * 1024;
  for (uint64_t pos = 0;;) {
    auto chunk = read_at(out.fd, pos, kChunk, path);
    if (!chunk.ok()) {
      ::close(out.fd);
      return chunk.error();
    }
    if (chunk->empty()) break;
    pos += chunk->size();
    splitter.feed(Buffer(std::move(chunk).value()), records, oversized);
    for (const auto& r : records) {
      if (is_blank(r.bytes.view())) continue;
      out.header = r.bytes.str();
      out.header_end = r.end;
      return out;
    }
    records.clear();
  }
  return out;
}

}  // namespace junction::components::file_io
