// What the log's write path costs with each way of writing a segment, on
// the file system under DIR: 1 GiB in commit groups of GROUP bytes, one
// pwrite and one fdatasync per group (as under `fsync: always`), then the
// process's CPU time per KiB. Modes:
//   plain     buffered; ext4 allocates blocks as the writes arrive
//   reserved  buffered into blocks reserved ahead with fallocate(KEEP_SIZE),
//             in 8 MiB steps (what src/log/segment.cc does)
//   direct    O_DIRECT, each group first copied into a 4 KiB-aligned buffer
//             (as a journal would have to); not what the log does
//   direct-tail  O_DIRECT with groups that end inside a block, as records
//             do: each write starts at the block the last group ended in,
//             written again with that group's tail and zeros after the new
//             end, into blocks reserved ahead like `reserved`
// Writeback that the kernel leaves to its own threads is not counted, so
// the buffered modes read a little low.
//
// Usage: junction_write_path_probe DIR plain|reserved|direct|direct-tail [GROUP_BYTES]
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr size_t kTotal = size_t{1} << 30;
constexpr size_t kBlock = 4096;
constexpr off_t kReserveStep = off_t{8} << 20;

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int fail(const char* what) {
  std::perror(what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR plain|reserved|direct|direct-tail [GROUP_BYTES]\n",
                 argv[0]);
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/write_path_probe.bin";
  const std::string_view mode = argv[2];
  const bool tail = mode == "direct-tail";
  const bool direct = mode == "direct" || tail;
  const bool reserve = mode != "plain";
  // 1.6 MB: about what one commit group of 4 publishers with 1 KiB records holds.
  size_t group = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1600 * 1024;
  // O_DIRECT wants whole blocks; direct-tail keeps the size as asked.
  if (!tail) group = (group + kBlock - 1) / kBlock * kBlock;

  std::vector<char> records(group, 'x');
  void* aligned = nullptr;
  // Room for a kept tail block ahead of the group and a padded block after.
  const size_t buffer_size = group + 2 * kBlock;
  if (posix_memalign(&aligned, kBlock, buffer_size) != 0) return fail("posix_memalign");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | (direct ? O_DIRECT : 0), 0644);
  if (fd < 0) return fail("open");

  const auto started = std::chrono::steady_clock::now();
  const double cpu_before = cpu_seconds();
  off_t pos = 0;
  off_t reserved = 0;
  while (static_cast<size_t>(pos) < kTotal) {
    if (reserve && pos + static_cast<off_t>(group) > reserved) {
      if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, reserved, kReserveStep) != 0)
        return fail("fallocate");
      reserved += kReserveStep;
    }
    const char* from = records.data();
    size_t length = group;
    off_t at = pos;
    if (tail) {
      // The kept tail of the block `pos` is in stays at the buffer's start
      // (it was moved there after the last write); the group follows it,
      // zeros fill the last block.
      char* buffer = static_cast<char*>(aligned);
      const size_t kept = static_cast<size_t>(pos) % kBlock;
      std::memcpy(buffer + kept, records.data(), group);
      length = (kept + group + kBlock - 1) / kBlock * kBlock;
      std::memset(buffer + kept + group, 0, length - kept - group);
      at = pos - static_cast<off_t>(kept);
      from = buffer;
    } else if (direct) {
      std::memcpy(aligned, records.data(), group);
      from = static_cast<const char*>(aligned);
    }
    if (::pwrite(fd, from, length, at) != static_cast<ssize_t>(length)) return fail("pwrite");
    if (tail) {
      // The block the group ended in opens the next write.
      char* buffer = static_cast<char*>(aligned);
      const size_t end = static_cast<size_t>(pos) % kBlock + group;
      std::memmove(buffer, buffer + end / kBlock * kBlock, end % kBlock);
    }
    if (::fdatasync(fd) != 0) return fail("fdatasync");
    pos += static_cast<off_t>(group);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu = cpu_seconds() - cpu_before;
  std::printf("%-8s %6.0f MB/s, CPU %.3f s = %.3f us per KiB\n", argv[2],
              static_cast<double>(pos) / seconds / 1e6, cpu,
              cpu * 1e6 / (static_cast<double>(pos) / 1024));
  ::close(fd);
  ::unlink(path.c_str());
  std::free(aligned);
}
