#pragma once

#include <string_view>

#include "auth/jwk.h"
#include "auth/jws_algorithm.h"

namespace junction::auth {

// Checks a JWS signature over `signing_input` (the ASCII "header.payload").
// `signature` is the decoded third segment: the MAC for HS*, the PKCS#1 v1.5
// signature for RS256, and raw r||s (64 bytes, RFC 7518 section 3.4) for
// ES256. False whenever `key_fits(alg, key)` is false, so a caller that forgot
// to ask still cannot verify across algorithm families.
bool verify_jws_signature(JwsAlgorithm alg, const Key& key, std::string_view signing_input,
                          std::string_view signature);

}  // namespace junction::auth
