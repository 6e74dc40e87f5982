#pragma once

// Private to the spec layer: reading the `flows:` section.

#include <vector>

#include "spec/spec.h"

namespace junction::spec {

// Reads every flow of `section` (a mapping of flow name to flow) into `out`,
// recording every problem in `diags`.
void parse_flows(const Node& section, const ComponentCatalog& catalog, Diagnostics& diags,
                 std::vector<FlowSpec>& out);

}  // namespace junction::spec
