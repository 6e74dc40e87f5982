#pragma once

#include <string>

#include "core/message.h"

namespace junction::components {

// Appends `m` as one line-safe JSON object:
//   {"id":..,"key":..,"timestamp_ms":..,"headers":{..},"payload":..}
// The payload is embedded as JSON when it parses as JSON, else as a string. A
// header name given more than once (case-insensitively) maps to an array of
// its values. Invalid UTF-8 in strings becomes U+FFFD.
void append_json_envelope(std::string& out, const Message& m);

}  // namespace junction::components
