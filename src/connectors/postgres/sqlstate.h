#pragma once

#include <string_view>

#include "core/error.h"

namespace junction::connectors::postgres {

// What a server error means for the flow, from its SQLSTATE (PostgreSQL
// manual, appendix A):
//   08 connection, 40 rollback (serialization failure, deadlock), 53 out of
//   resources, 57 operator intervention (shutdown), 55P03 lock not available,
//   and no SQLSTATE at all (the connection died)          -> transient
//   21 cardinality, 22 data exception, 23 integrity       -> invalid (this row)
//   28 authorization                                      -> unauthorized
//   42 syntax or access rule (a wrong table, column, grant) and the rest
//                                                         -> permanent
ErrorClass classify_sqlstate(std::string_view sqlstate);

}  // namespace junction::connectors::postgres
