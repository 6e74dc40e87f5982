#pragma once

#include <memory>

#include "core/error.h"
#include "log/store.h"
#include "spec/spec.h"

namespace junction::app {

// Opens the storage dir and every topic the spec declares, with its settings.
Result<std::unique_ptr<log::Store>> open_log(const spec::Spec& spec, bool repair);

}  // namespace junction::app
