#include "connectors/redis/recovery_plan.h"

namespace junction::connectors::redis {

RecoveryPlan plan_recovery(std::vector<PendingEntry> page, size_t page_size, size_t room,
                           int64_t max_deliveries,
                           const std::function<bool(const std::string&)>& busy) {
  RecoveryPlan plan;
  plan.last_page = page.size() < page_size;
  plan.next_cursor = page.empty() ? "-" : after(page.back().id);
  for (auto& p : page) {
    if (busy(p.id)) continue;
    if (p.deliveries >= max_deliveries) {
      plan.expired.push_back(std::move(p));
    } else if (plan.redeliver.size() < room) {
      plan.redeliver.push_back(std::move(p));
    } else {
      plan.out_of_room = true;
      break;
    }
  }
  return plan;
}

}  // namespace junction::connectors::redis
