#include "components/outputs/file/path_template.h"

#include <ctime>

namespace junction::components {
namespace {

constexpr std::string_view kDate = "{{date}}";

}  // namespace

Result<PathTemplate> PathTemplate::parse(std::string text) {
  PathTemplate t;
  for (size_t pos = text.find("{{"); pos != std::string::npos; pos = text.find("{{", pos + 2)) {
    if (text.compare(pos, kDate.size(), kDate) == 0) {
      t.has_date_ = true;
      continue;
    }
    size_t close = text.find("}}", pos + 2);
    if (close == std::string::npos) {
      return Error::invalid("unterminated '{{' in path at offset " + std::to_string(pos));
    }
    return Error::invalid("unknown placeholder '" + text.substr(pos, close + 2 - pos) +
                          "' in path; the only one is {{date}}");
  }
  t.text_ = std::move(text);
  return t;
}

std::string PathTemplate::render(int64_t unix_ms) const {
  if (!has_date_) return text_;
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  std::string out;
  out.reserve(text_.size());
  size_t from = 0;
  for (size_t pos = text_.find(kDate); pos != std::string::npos; pos = text_.find(kDate, from)) {
    out.append(text_, from, pos - from);
    out.append(date);
    from = pos + kDate.size();
  }
  out.append(text_, from);
  return out;
}

}  // namespace junction::components
