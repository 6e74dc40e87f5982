#pragma once

#include "spec/schema.h"

namespace junction::connectors::postgres {

// The `dsn` field every PostgreSQL component takes: required and secret.
inline spec::Field dsn_field() {
  return {"dsn", spec::FieldType::kString,
          "",    "libpq connection string or URI (postgresql://user:pass@host:5432/db).",
          true,  {},
          true};
}

}  // namespace junction::connectors::postgres
