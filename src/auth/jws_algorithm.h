#pragma once

#include <optional>
#include <string_view>

#include "auth/jwk.h"

namespace junction::auth {

// The JWS "alg" values Junction verifies (RFC 7518 section 3.1). "none" is
// deliberately absent: an unsigned token is never accepted.
enum class JwsAlgorithm { kHs256, kHs384, kHs512, kRs256, kEs256 };

std::string_view to_string(JwsAlgorithm alg);
// Exact, case-sensitive names ("HS256"), as RFC 7515 compares them.
std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name);

// Whether `key` may verify a token signed with `alg`. The key's type must be
// the algorithm's family (HMAC secret for HS*, RSA for RS256, P-256 for ES256):
// this is the defence against algorithm confusion, where an HS256 token is
// "verified" with the bytes of a public key used as an HMAC secret. A key's own
// "alg" and "use" labels narrow it further, and HS384/HS512 need a secret at
// least as long as their hash.
bool key_fits(JwsAlgorithm alg, const Key& key);

}  // namespace junction::auth
