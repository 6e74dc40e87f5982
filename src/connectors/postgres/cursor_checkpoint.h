#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::connectors::postgres {

// The postgres input's checkpoint: one small JSON file, {"cursor": "<text>"},
// holding the cursor value up to which every row was settled ok. Blocking
// file I/O: call on the blocking pool.

// Where a flow's checkpoint lives under the storage dir.
std::filesystem::path cursor_checkpoint_file(const std::filesystem::path& storage_dir,
                                             std::string_view flow);

// The saved cursor; nullopt when there is no checkpoint yet. A file that is
// there but unreadable or malformed is an error: starting over from `start`
// would silently re-read the table.
Result<std::optional<std::string>> load_cursor(const std::filesystem::path& file);

// Replaces the checkpoint atomically: write a temporary file, fsync it,
// rename it over the old one, fsync the directory. A crash leaves the old
// checkpoint or the new one, never a torn file.
Status save_cursor(const std::filesystem::path& file, std::string_view cursor);

}  // namespace junction::connectors::postgres
