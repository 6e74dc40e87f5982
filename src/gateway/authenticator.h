#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/api_keys.h"
#include "auth/jwt.h"
#include "core/error.h"
#include "gateway/header_view.h"
#include "gateway/remote_jwks.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

// Who made a request, once their credentials checked out.
struct Identity {
  enum class Kind : uint8_t { kAnonymous, kJwt, kApiKey, kClientCertificate };
  Kind kind = Kind::kAnonymous;
  // The JWT subject, the API key's name or the client certificate's subject;
  // never the credential.
  std::string consumer;
  std::vector<std::string> scopes;
  std::vector<std::string> roles;
  // kJwt: the verified payload, for policies; shared (immutable) with the
  // thread's cache of verified tokens.
  std::shared_ptr<const auth::Claims> claims;
};

// Checks a request's credentials against a route's `require:`. The JWT
// verifier and the key store are built once, from the spec, at startup.
// authenticate() is const and safe from any thread.
//
// A verified JWT is remembered per thread (up to kVerifiedTokensPerThread)
// with the key set that verified it, so the same token again skips the
// signature, the base64 and the JSON: Envoy's jwt_cache, with the same
// answer as verifying anew. A remembered token is used only by the
// authenticator that verified it (a reload makes a new one), only while
// the key set is the very one (each JWKS fetch makes a new set), and only
// while its exp and nbf still pass at the verifier's clock.
class Authenticator {
 public:
  // Error::invalid for a JWKS file that cannot be read or holds no usable
  // key, a secret too short for HS256, or a malformed key list. A spec with
  // `jwks_url` needs `remote_jwks` (make_remote_jwks), shared by every
  // Authenticator of the gateway.
  static Result<Authenticator> create(const spec::GatewaySpec& spec,
                                      std::shared_ptr<RemoteJwks> remote_jwks = nullptr);

  // Error::unauthorized (no or bad credentials: 401), Error::forbidden
  // (missing scope or role, a certificate subject not allowed: 403) or
  // Error::transient (the JWKS has not been fetched yet: 503); the message
  // is safe to show the client. `client_subject` is the verified client
  // certificate's subject, empty without one.
  Result<Identity> authenticate(HeaderView headers, const spec::RouteRequireSpec& require,
                                std::string_view client_subject = {}) const;

  // The WWW-Authenticate challenge for a 401 on a route requiring `mode`;
  // `presented` says credentials were sent (and refused), which RFC 6750
  // answers with error="invalid_token". Empty for `mtls`: TLS has no HTTP
  // challenge.
  std::string challenge(spec::AuthMode mode, bool presented) const;

 private:
  Result<Identity> from_jwt(std::string_view authorization) const;
  Result<auth::Claims> verify(std::string_view token,
                              const std::shared_ptr<const auth::JwkSet>& keys) const;
  Result<Identity> from_api_key(std::string_view key) const;

  std::shared_ptr<const auth::JwtVerifier> jwt_;
  std::shared_ptr<RemoteJwks> remote_jwks_;  // set: jwt_ verifies with its key set
  std::shared_ptr<const auth::ApiKeyStore> keys_;
  std::string key_header_ = "X-Api-Key";
  uint64_t id_ = 0;  // unique per authenticator: keys its remembered tokens
};

inline constexpr size_t kVerifiedTokensPerThread = 512;

// The one RemoteJwks of a gateway whose spec has `auth.jwt.jwks_url`;
// null without one. Not started: its owner calls start() and stop(). When
// `reuse` (a reloaded gateway's) fetches from the same URL with the same
// options, it is returned as it is, keys and all.
Result<std::shared_ptr<RemoteJwks>> make_remote_jwks(const spec::GatewaySpec& spec,
                                                     asio::any_io_executor executor,
                                                     observe::Registry& metrics,
                                                     std::shared_ptr<RemoteJwks> reuse = nullptr);

}  // namespace junction::gateway
