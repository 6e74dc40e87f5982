#include "connectors/nats/headers.h"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace junction::connectors::nats {

void read_headers(natsMsg* msg, Headers& out) {
  const char** keys = nullptr;
  int key_count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &key_count) != NATS_OK) return;
  for (int k = 0; k < key_count; ++k) {
    const char** values = nullptr;
    int value_count = 0;
    if (natsMsgHeader_Values(msg, keys[k], &values, &value_count) != NATS_OK) continue;
    for (int v = 0; v < value_count; ++v) out.add(keys[k], values[v]);
    std::free(static_cast<void*>(values));
  }
  std::free(static_cast<void*>(keys));
}

bool is_jetstream_header(std::string_view name) {
  return name.size() >= 5 && iequals(name.substr(0, 5), "Nats-");
}

Status write_headers(const Headers& in, natsMsg* msg) {
  for (const auto& [name, value] : in) {
    if (is_jetstream_header(name)) continue;
    if (name.empty() || name.find_first_of(": \t\r\n") != std::string::npos) {
      return Error::invalid(fmt::format("header name '{}' is not allowed in NATS", name));
    }
    if (value.find_first_of("\r\n") != std::string::npos) {
      return Error::invalid(fmt::format("header '{}' has a line break in its value", name));
    }
    if (natsMsgHeader_Add(msg, name.c_str(), value.c_str()) != NATS_OK) {
      return Error::invalid(fmt::format("header '{}' could not be set", name));
    }
  }
  return ok_status();
}

}  // namespace junction::connectors::nats
