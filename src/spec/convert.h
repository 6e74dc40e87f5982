#pragma once

// Private to the spec layer: turning one YAML value into a typed field value.

#include <optional>
#include <string>

#include "spec/schema.h"

namespace junction::spec {

// Converts `value` (never null) to the type `field` declares, recording any
// problem in `diags`. Scalars go through ${...} interpolation when
// `interpolate_text` is set; messages echo only the text as written.
// "got a mapping", "got a scalar", or "got nothing", for the end of a message.
std::string got(const Node& node);

std::optional<Config::Value> convert_field(const Field& field, const Node& value,
                                           bool interpolate_text, Diagnostics& diags);

}  // namespace junction::spec
