#pragma once

#include <string_view>

#include "core/error.h"
#include "spec/schema.h"

namespace junction::connectors::kafka {

// The `options` field both kafka components share.
spec::Field options_field();

// Checks the `brokers` field: a comma-separated host:port list.
Status check_brokers(std::string_view brokers);

}  // namespace junction::connectors::kafka
