#include "components/inputs/file/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace junction::components {
namespace {

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::transient(errno_text("write " + path, errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

}  // namespace

std::filesystem::path checkpoint_file(const std::filesystem::path& storage_dir,
                                      std::string_view flow, const std::filesystem::path& input) {
  std::string name;
  for (char c : flow) {
    bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    name.push_back(safe ? c : '_');
  }
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx",
                static_cast<unsigned long long>(fnv1a(input.lexically_normal().string())));
  return storage_dir / "checkpoints" / (name + "-" + hash + ".json");
}

std::string encode_checkpoints(const CheckpointMap& files) {
  boost::json::object list;
  for (const auto& [path, cp] : files) {
    list[path] = {{"offset", cp.offset}, {"size_seen", cp.size_seen}, {"inode", cp.inode}};
  }
  boost::json::object root;
  root["files"] = std::move(list);
  return boost::json::serialize(root) + "\n";
}

Result<CheckpointMap> decode_checkpoints(std::string_view text) {
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;  // paths are bytes, not necessarily UTF-8
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(text, ec, {}, options);
  if (ec) return Error::invalid("checkpoint is not JSON: " + ec.message());
  const auto* obj = root.if_object();
  const auto* files = obj ? obj->if_contains("files") : nullptr;
  if (!files || !files->is_object()) return Error::invalid("checkpoint has no \"files\" object");
  CheckpointMap out;
  for (const auto& [path, entry] : files->get_object()) {
    const auto* e = entry.if_object();
    if (!e) return Error::invalid("checkpoint entry is not an object");
    FileCheckpoint cp;
    for (auto [key, field] :
         {std::pair{"offset", &cp.offset}, std::pair{"size_seen", &cp.size_seen},
          std::pair{"inode", &cp.inode}}) {
      const auto* v = e->if_contains(key);
      auto n = v ? v->to_number<uint64_t>(ec) : 0;
      if (!v || ec) return Error::invalid(std::string("checkpoint entry has no valid ") + key);
      *field = n;
    }
    out.emplace(std::string(path), cp);
  }
  return out;
}

Result<CheckpointMap> load_checkpoints(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return CheckpointMap{};
    return Error::transient(errno_text("open " + file.string(), errno));
  }
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Error::transient(errno_text("read " + file.string(), err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return decode_checkpoints(text);
}

Status save_checkpoints(const std::filesystem::path& file, const CheckpointMap& files) {
  std::error_code fs_ec;
  std::filesystem::create_directories(file.parent_path(), fs_ec);
  if (fs_ec)
    return Error::transient("create " + file.parent_path().string() + ": " + fs_ec.message());
  const std::string tmp = file.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::transient(errno_text("open " + tmp, errno));
  Status s = write_all(fd, encode_checkpoints(files), tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Error::transient(errno_text("fsync " + tmp, errno));
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), file.c_str()) != 0) {
    s = Error::transient(errno_text("rename " + tmp, errno));
  }
  if (!s.ok()) return s;
  // The rename itself is durable only once the directory is synced.
  int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return ok_status();
}

}  // namespace junction::components
