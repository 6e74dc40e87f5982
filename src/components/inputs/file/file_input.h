#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "components/common/record_decoder.h"
#include "core/executor.h"
#include "core/units.h"
#include "flow/component.h"

namespace junction::components {

struct FileInputOptions {
  std::filesystem::path path;  // absolute: a file or a directory
  RecordFormat format = RecordFormat::kLines;
  std::string glob;  // file-name pattern in a directory; empty = all
  bool watch = false;
  Duration poll_interval = std::chrono::milliseconds(500);
  size_t batch_size = 256;
  size_t max_line = 1 << 20;
  // Where progress is persisted; empty = no checkpoint.
  std::filesystem::path checkpoint_file;
  std::string flow;
  BlockingPool* blocking = nullptr;  // null only when validating
};

std::unique_ptr<flow::Input> make_file_input(FileInputOptions options);

}  // namespace junction::components
