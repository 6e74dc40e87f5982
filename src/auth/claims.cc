#include "auth/claims.h"

namespace junction::auth {

namespace json = boost::json;

namespace {

void append_words(std::string_view text, std::vector<std::string>& out) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// A string claim split on spaces, or the strings of an array claim.
std::vector<std::string> string_list(const json::value* claim, bool split_string) {
  std::vector<std::string> out;
  if (claim == nullptr) return out;
  if (claim->is_string()) {
    std::string_view text = claim->get_string();
    if (split_string) {
      append_words(text, out);
    } else if (!text.empty()) {
      out.emplace_back(text);
    }
  } else if (claim->is_array()) {
    for (const json::value& item : claim->get_array()) {
      if (item.is_string()) out.emplace_back(item.get_string());
    }
  }
  return out;
}

const json::value* find_path(const json::object& object, std::string_view path) {
  if (const json::value* whole = object.if_contains(path)) return whole;
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    const json::value* head = object.if_contains(path.substr(0, dot));
    if (head == nullptr || !head->is_object()) continue;
    if (const json::value* found = find_path(head->get_object(), path.substr(dot + 1))) {
      return found;
    }
  }
  return nullptr;
}

}  // namespace

std::optional<std::string_view> Claims::subject() const {
  const json::value* sub = payload_.if_contains("sub");
  if (sub == nullptr || !sub->is_string()) return std::nullopt;
  return std::string_view(sub->get_string());
}

std::vector<std::string> Claims::scopes() const {
  const json::value* scope = payload_.if_contains("scope");
  if (scope == nullptr) scope = payload_.if_contains("scp");
  return string_list(scope, true);
}

std::vector<std::string> Claims::roles() const {
  return string_list(payload_.if_contains("roles"), false);
}

const json::value* Claims::find(std::string_view path) const {
  if (path.empty()) return nullptr;
  return find_path(payload_, path);
}

}  // namespace junction::auth
