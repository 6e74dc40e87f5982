#include "spec/catalog.h"

namespace junction::spec {

std::string_view to_string(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kInput:
      return "input";
    case ComponentKind::kProcessor:
      return "processor";
    case ComponentKind::kOutput:
      return "output";
  }
  return "component";
}

}  // namespace junction::spec
