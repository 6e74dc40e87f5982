#include "core/error.h"

#include <array>

namespace junction {
namespace {

struct ClassName {
  ErrorClass cls;
  std::string_view name;
};

constexpr std::array<ClassName, 6> kClassNames{{
    {ErrorClass::kTransient, "transient"},
    {ErrorClass::kPermanent, "permanent"},
    {ErrorClass::kInvalid, "invalid"},
    {ErrorClass::kUnauthorized, "unauthorized"},
    {ErrorClass::kForbidden, "forbidden"},
    {ErrorClass::kOverloaded, "overloaded"},
}};

}  // namespace

std::string_view to_string(ErrorClass cls) {
  for (const auto& c : kClassNames) {
    if (c.cls == cls) return c.name;
  }
  return "unknown";
}

std::optional<ErrorClass> error_class_from_string(std::string_view name) {
  for (const auto& c : kClassNames) {
    if (c.name == name) return c.cls;
  }
  return std::nullopt;
}

int Error::http_status() const {
  switch (cls_) {
    case ErrorClass::kInvalid:
      return 400;
    case ErrorClass::kUnauthorized:
      return 401;
    case ErrorClass::kForbidden:
      return 403;
    case ErrorClass::kOverloaded:
      return 429;
    case ErrorClass::kTransient:
      return 503;
    case ErrorClass::kPermanent:
      return 500;
  }
  return 500;
}

Error Error::wrap(std::string_view context) const {
  std::string m;
  m.reserve(context.size() + 2 + message_.size());
  m.append(context).append(": ").append(message_);
  return {cls_, std::move(m)};
}

}  // namespace junction
