#include "connectors/kafka/settings.h"

#include <fmt/format.h>

namespace junction::connectors::kafka {

spec::Field options_field() {
  spec::Field f{"options", spec::FieldType::kObject, "",
                "Extra librdkafka properties (security.protocol, sasl.*, ssl.*, tuning); "
                "values are never logged."};
  // Holds sasl.password and ssl.key.password: keep it out of printed specs.
  f.secret = true;
  return f;
}

Status check_brokers(std::string_view brokers) {
  size_t start = 0;
  while (start <= brokers.size()) {
    size_t end = brokers.find(',', start);
    if (end == std::string::npos) end = brokers.size();
    std::string_view one(brokers.data() + start, end - start);
    const size_t colon = one.rfind(':');
    if (one.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == one.size()) {
      return Error::invalid(
          fmt::format("brokers: '{}' is not host:port (list them comma-separated)", one));
    }
    start = end + 1;
  }
  return ok_status();
}

}  // namespace junction::connectors::kafka
