#pragma once

#include <string>
#include <vector>

namespace junction::cli {

// `junction topic list|create|describe|produce|consume|replay|delete ...` on
// a storage dir (--dir, or the spec's storage.dir with --spec). Returns the
// process exit code.
int topic_command(const std::vector<std::string>& args);

}  // namespace junction::cli
