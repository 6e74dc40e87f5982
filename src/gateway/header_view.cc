#include "gateway/header_view.h"

namespace junction::gateway {

std::optional<std::string_view> HeaderView::get(std::string_view name) const {
  if (list_ != nullptr) return list_->get(name);
  auto it = fields_->find(name);
  if (it == fields_->end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

}  // namespace junction::gateway
