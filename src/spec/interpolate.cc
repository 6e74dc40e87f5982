#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <system_error>

#include "spec/convert.h"
#include "spec/node.h"

namespace junction::spec {
namespace {

bool valid_env_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Reads a secret file. Messages name the path as written, never the content.
std::optional<std::string> read_secret_file(const Node& scalar, const std::string& path,
                                            Diagnostics& diags) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = scalar.base_dir() / p;
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) {
    diags.error(scalar.location(), "cannot read '" + path + "' for ${file:" + path + "}",
                "it is a directory");
    return std::nullopt;
  }
  std::ifstream in(p, std::ios::binary);
  std::string content;
  if (in) content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    diags.error(scalar.location(), "cannot read '" + path + "' for ${file:" + path + "}",
                "paths are relative to the spec's directory");
    return std::nullopt;
  }
  // Editors end files with a newline that is not part of a token or key;
  // a CRLF ending counts as one newline.
  if (content.ends_with("\r\n")) {
    content.resize(content.size() - 2);
  } else if (content.ends_with('\n')) {
    content.pop_back();
  }
  return content;
}

std::optional<std::string> resolve(const Node& scalar, const std::string& ref, Diagnostics& diags) {
  if (ref.starts_with("file:")) {
    std::string path = ref.substr(5);
    if (path.empty()) {
      diags.error(scalar.location(), "empty path in ${file:}", "write ${file:path/to/secret}");
      return std::nullopt;
    }
    return read_secret_file(scalar, path, diags);
  }
  // ${NAME:-default}: the default when NAME is unset or empty, as in the shell.
  std::optional<std::string> fallback;
  std::string name = ref;
  if (size_t sep = ref.find(":-"); sep != std::string::npos) {
    name = ref.substr(0, sep);
    fallback = ref.substr(sep + 2);
  }
  if (!valid_env_name(name)) {
    diags.error(scalar.location(), "invalid variable name '" + ref + "' in ${" + ref + "}",
                "write ${NAME} or ${NAME:-default} for an environment variable or ${file:PATH} "
                "for a file");
    return std::nullopt;
  }
  const char* value = std::getenv(name.c_str());
  if (fallback && (value == nullptr || *value == '\0')) return fallback;
  if (value == nullptr) {
    diags.error(
        scalar.location(), "environment variable '" + name + "' is not set",
        "set it, give a default with ${" + name + ":-value}, or write $${ for a literal ${");
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace

std::optional<std::string> interpolate(const Node& scalar, Diagnostics& diags) {
  if (!scalar.is_scalar()) {
    diags.error(scalar.location(), "expected a scalar, " + got(scalar));
    return std::nullopt;
  }
  const std::string& raw = scalar.raw();
  std::string out;
  bool ok = true;
  size_t i = 0;
  while (i < raw.size()) {
    if (raw.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (raw.compare(i, 2, "${") != 0) {
      out += raw[i++];
      continue;
    }
    size_t close = raw.find('}', i + 2);
    if (close == std::string::npos) {
      diags.error(scalar.location(), "unterminated ${ in a value",
                  "close it with }, or write $${ for a literal ${");
      return std::nullopt;
    }
    std::string ref = raw.substr(i + 2, close - i - 2);
    // Keep going after a failure so one pass reports every missing variable.
    if (auto value = resolve(scalar, ref, diags)) {
      out += *value;
    } else {
      ok = false;
    }
    i = close + 1;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace junction::spec
