#pragma once

#include <string>
#include <vector>

#include "spec/schema.h"

namespace junction::spec {

enum class ComponentKind { kInput, kProcessor, kOutput };

std::string_view to_string(ComponentKind kind);

// What the spec loader needs to know about components: which names exist and
// their schemas. The component registry (flow/) implements it; the spec layer
// stays below it.
class ComponentCatalog {
 public:
  virtual ~ComponentCatalog() = default;
  // nullptr when no component of that kind has that name.
  virtual const Schema* schema(ComponentKind kind, const std::string& name) const = 0;
  virtual std::vector<std::string> names(ComponentKind kind) const = 0;
};

}  // namespace junction::spec
