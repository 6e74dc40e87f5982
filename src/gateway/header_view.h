#pragma once

#include <optional>
#include <string_view>

#include "core/headers.h"
#include "http/types.h"

namespace junction::gateway {

// Read-only access by name (case-insensitive) to a request's header fields,
// for route matching, authentication and policies. It views the request's
// own fields, so nothing is copied per request, or a Headers list (tests,
// and callers without an HTTP request). Whatever it views must outlive it.
class HeaderView {
 public:
  // Implicit on purpose: callers pass either kind where a view is taken.
  HeaderView(const http::RequestHeader& fields) : fields_(&fields) {}  // NOLINT
  HeaderView(const Headers& list) : list_(&list) {}                    // NOLINT

  // The first field of that name.
  std::optional<std::string_view> get(std::string_view name) const;

 private:
  const http::RequestHeader* fields_ = nullptr;
  const Headers* list_ = nullptr;
};

}  // namespace junction::gateway
