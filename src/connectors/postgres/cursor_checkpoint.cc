#include "connectors/postgres/cursor_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace junction::connectors::postgres {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int err) {
  return Error::transient(what + " " + path.string() + ": " + std::strerror(err));
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

Status fsync_path(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error("open", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync", path, err);
  return ok_status();
}

}  // namespace

std::filesystem::path cursor_checkpoint_file(const std::filesystem::path& storage_dir,
                                             std::string_view flow) {
  std::string name = "postgres-";
  for (char c : flow) {
    bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    name.push_back(safe ? c : '_');
  }
  return storage_dir / "checkpoints" / (name + ".json");
}

Result<std::optional<std::string>> load_cursor(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>();
    return io_error("open", file, errno);
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(text.str(), ec);
  const auto* obj = ec ? nullptr : root.if_object();
  const auto* cursor = obj ? obj->if_contains("cursor") : nullptr;
  if (!cursor || !cursor->is_string()) {
    return Error::invalid("checkpoint " + file.string() +
                          " is malformed (want {\"cursor\": \"...\"}); fix or remove it");
  }
  return std::optional<std::string>(std::string(cursor->get_string()));
}

Status save_cursor(const std::filesystem::path& file, std::string_view cursor) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return Error::transient("create " + file.parent_path().string() + ": " + ec.message());
  boost::json::object root;
  root["cursor"] = cursor;
  const std::string text = boost::json::serialize(root) + "\n";
  const std::filesystem::path tmp = file.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open", tmp, errno);
  Status s = write_all(fd, text, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = io_error("fsync", tmp, errno);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), file.c_str()) != 0) return io_error("rename", tmp, errno);
  // The rename is durable only once the directory is.
  return fsync_path(file.parent_path(), O_RDONLY | O_DIRECTORY);
}

}  // namespace junction::connectors::postgres
