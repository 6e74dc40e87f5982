#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace junction::auth {

// Base64url without padding (RFC 4648 section 5), the encoding of every JWS
// segment and JWK member (RFC 7515 section 2).
std::string base64url_encode(std::string_view bytes);

// Strict: padding, characters outside [A-Za-z0-9_-], a length of 4n+1 and
// non-zero unused trailing bits are all Error::invalid. Rejecting the last
// keeps the encoding canonical, so one byte string has exactly one spelling.
Result<std::string> base64url_decode(std::string_view text);

}  // namespace junction::auth
