#pragma once

#include <boost/json/array.hpp>

namespace junction::cli {

// Prints consumer groups, as the topics API answers them (log/group_json.h),
// for `junction topic describe`: each group's lag, then its committed offset
// and lag per partition, then its members when it has some.
void print_groups(const boost::json::array& groups);

}  // namespace junction::cli
