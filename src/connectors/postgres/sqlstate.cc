#include "connectors/postgres/sqlstate.h"

namespace junction::connectors::postgres {

ErrorClass classify_sqlstate(std::string_view s) {
  if (s.size() != 5) return ErrorClass::kTransient;
  const std::string_view cls = s.substr(0, 2);
  if (cls == "08" || cls == "40" || cls == "53" || cls == "57" || s == "55P03") {
    return ErrorClass::kTransient;
  }
  if (cls == "21" || cls == "22" || cls == "23") return ErrorClass::kInvalid;
  if (cls == "28") return ErrorClass::kUnauthorized;
  return ErrorClass::kPermanent;
}

}  // namespace junction::connectors::postgres
