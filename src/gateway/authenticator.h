#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/api_keys.h"
#include "auth/jwt.h"
#include "core/error.h"
#include "core/headers.h"
#include "spec/gateway_parse.h"

namespace junction::gateway {

// Who made a request, once their credentials checked out.
struct Identity {
  enum class Kind : uint8_t { kAnonymous, kJwt, kApiKey };
  Kind kind = Kind::kAnonymous;
  std::string consumer;  // the JWT subject or the API key's name; never the credential
  std::vector<std::string> scopes;
  std::vector<std::string> roles;
};

// Checks a request's credentials against a route's `require:`. The JWT
// verifier and the key store are built once, from the spec, at startup.
// authenticate() is const and safe from any thread.
class Authenticator {
 public:
  // Error::invalid for a JWKS file that cannot be read or holds no usable
  // key, a secret too short for HS256, or a malformed key list.
  static Result<Authenticator> create(const spec::GatewaySpec& spec);

  // Error::unauthorized (no or bad credentials: 401) or Error::forbidden
  // (missing scope or role: 403); the message is safe to show the client.
  Result<Identity> authenticate(const Headers& headers,
                                const spec::RouteRequireSpec& require) const;

  // The WWW-Authenticate challenge for a 401 on a route requiring `mode`;
  // `presented` says credentials were sent (and refused), which RFC 6750
  // answers with error="invalid_token".
  std::string challenge(spec::AuthMode mode, bool presented) const;

 private:
  Result<Identity> from_jwt(std::string_view authorization) const;
  Result<Identity> from_api_key(std::string_view key) const;

  std::shared_ptr<const auth::JwtVerifier> jwt_;
  std::shared_ptr<const auth::ApiKeyStore> keys_;
  std::string key_header_ = "X-Api-Key";
};

}  // namespace junction::gateway
