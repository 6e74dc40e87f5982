#pragma once

#include <string>
#include <vector>

#include "log/topic_config.h"
#include "spec/diagnostics.h"
#include "spec/node.h"

namespace junction::spec {

// A topic of the embedded log as the spec declares it.
struct TopicSpec {
  std::string name;
  Location where;
  log::TopicConfig config;
  std::string key;  // default partition key for producers: a JSON field path; empty = none
};

// Parses the `topics:` section: a mapping of topic name to settings (or to
// null for all defaults). `default_fsync` comes from `storage.fsync`.
void parse_topics(const Node& block, const log::FsyncPolicy& default_fsync, Diagnostics& diags,
                  std::vector<TopicSpec>& out);

// The `storage.fsync` value, checked; `always` when absent.
log::FsyncPolicy parse_fsync(const std::string& text, const Location& where, Diagnostics& diags);

}  // namespace junction::spec
