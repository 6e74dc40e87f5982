#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/claims.h"
#include "auth/jwk.h"
#include "auth/jws_algorithm.h"
#include "core/error.h"
#include "core/units.h"

namespace junction::auth {

// Seconds since the Unix epoch. Injected so tests can stand at any instant.
using EpochClock = std::function<int64_t()>;

struct JwtVerifierOptions {
  // The "alg" values accepted. Required: there is no default set.
  std::vector<JwsAlgorithm> algorithms;
  // Looked up by the token's "kid"; a token without one uses the only key
  // that fits its algorithm, and is refused when several do.
  std::vector<Key> keys;
  // True: `keys` may be empty because every verify() call passes the key
  // set of the moment (a JWKS fetched from a URL and rotated at runtime).
  bool keys_per_call = false;
  // "iss" must be one of these. Empty: the issuer is not checked.
  std::vector<std::string> issuers;
  // One "aud" value (a string or an array) must be one of these. Empty: a
  // token without "aud" passes, but a token naming an audience is refused,
  // because RFC 7519 section 4.1.3 says a recipient not named must reject it.
  std::vector<std::string> audiences;
  // Clock skew tolerated on "exp" and "nbf".
  Duration leeway = std::chrono::seconds(60);
  // A token without "exp" would be valid forever once leaked.
  bool require_expiry = true;
  // Checked before any decoding, so an oversized header costs nothing.
  size_t max_token_bytes = 8 * 1024;
  // Empty: the system clock.
  EpochClock clock;
};

// Verifies compact JWS tokens (RFC 7515, RFC 7519) signed with HS256, HS384,
// HS512, RS256 or ES256. Every refusal is Error::unauthorized with a short
// reason that never quotes the token. verify() is const and safe to call from
// many threads at once.
class JwtVerifier {
 public:
  // Error::invalid for options that could never verify a token: no algorithm,
  // no key, a negative leeway, a zero size limit.
  static Result<JwtVerifier> create(JwtVerifierOptions options);

  Result<Claims> verify(std::string_view token) const;
  // With `keys` instead of the options' keys.
  Result<Claims> verify(std::string_view token, const std::vector<Key>& keys) const;

  // The time-bound checks of verify() alone (exp and nbf, with the leeway,
  // at this verifier's clock), for claims it verified earlier: whether a
  // remembered token is still good now.
  Status check_lifetime(const boost::json::object& payload) const;

  // The same bounds as numbers, read once from claims verify() accepted:
  // from when (inclusive) and until when (exclusive) this verifier accepts
  // the token, the leeway applied, in seconds since the epoch. within()
  // then checks a remembered token with two comparisons instead of two
  // claim lookups.
  struct Lifetime {
    double valid_from = -std::numeric_limits<double>::infinity();
    double valid_until = std::numeric_limits<double>::infinity();
  };
  Lifetime lifetime(const boost::json::object& payload) const;
  bool within(const Lifetime& lifetime) const;

 private:
  // What the verifier needs from the JOSE header.
  struct TokenHeader {
    JwsAlgorithm alg;
    std::optional<std::string> kid;
  };

  explicit JwtVerifier(JwtVerifierOptions options);

  Result<TokenHeader> read_header(std::string_view segment) const;
  bool allows(JwsAlgorithm alg) const;
  Result<const Key*> select_key(JwsAlgorithm alg, const std::optional<std::string>& kid,
                                const std::vector<Key>& keys) const;
  Status check_registered_claims(const boost::json::object& payload) const;
  int64_t now() const;

  JwtVerifierOptions options_;
};

// The "kid" a compact token's header names, without verifying anything: to
// tell a token signed with a key we have not fetched yet from a forgery.
// Nullopt for a token without one, a malformed or an oversized one.
std::optional<std::string> token_key_id(std::string_view token, size_t max_token_bytes = 8 * 1024);

}  // namespace junction::auth
