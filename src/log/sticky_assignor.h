#pragma once

#include <cstdint>
#include <vector>

namespace junction::log {

// Shares partitions 0..partitions-1 among members the way Kafka's
// StickyAssignor does: balanced within one partition, and otherwise moving
// as few partitions as it can. `owned[i]` is what member i owns now (empty for
// one that just joined; partitions past the count are ignored); the answer is
// member i's new set, ascending.
//
// Members that own more now are the ones allowed one partition over the
// fair share, so a join takes from the fullest and a leave hands the
// leaver's partitions to the emptiest. A member keeps its lowest partitions
// when it must give some up, and takes the lowest free ones, members in the
// order given: the same input always gives the same answer.
std::vector<std::vector<int32_t>> sticky_assign(int32_t partitions,
                                                const std::vector<std::vector<int32_t>>& owned);

}  // namespace junction::log
