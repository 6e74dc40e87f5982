#pragma once

// Private to the spec layer: reading one component of a flow.

#include <optional>

#include "spec/spec.h"

namespace junction::spec {

// Reads `{ NAME: { fields } }` or the shorthand `{ NAME: primary, field: ... }`
// for a component of `kind`. Nothing when any error was recorded.
std::optional<ComponentSpec> parse_component(const Node& node, ComponentKind kind,
                                             const ComponentCatalog& catalog, Diagnostics& diags);

}  // namespace junction::spec
