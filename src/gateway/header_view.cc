#include "gateway/header_view.h"

#include "http/field_lookup.h"

namespace junction::gateway {

std::optional<std::string_view> HeaderView::get(std::string_view name) const {
  if (list_ != nullptr) return list_->get(name);
  return http::first_value(*fields_, name);
}

}  // namespace junction::gateway
