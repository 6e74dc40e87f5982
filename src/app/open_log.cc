#include "app/open_log.h"

#include <spdlog/spdlog.h>

namespace junction::app {

Result<std::unique_ptr<log::Store>> open_log(const spec::Spec& spec, bool repair) {
  log::StoreOptions o;
  o.dir = spec.storage.dir;
  o.default_fsync = spec.storage.fsync;
  o.repair = repair;
  auto store = log::Store::open(o);
  if (!store) return store.error();
  for (const auto& t : spec.topics) {
    auto topic = (*store)->open_topic(t.name, t.config);
    if (!topic) return topic.error();
  }
  spdlog::info("embedded log in {}: {} topics", spec.storage.dir.string(), spec.topics.size());
  return store;
}

}  // namespace junction::app
