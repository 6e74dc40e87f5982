#include "gateway/authenticator.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <iterator>
#include <unordered_map>

namespace junction::gateway {
namespace {

Result<std::vector<auth::Key>> jwt_keys(const spec::JwtSpec& spec) {
  std::vector<auth::Key> keys;
  if (!spec.jwks_url.empty()) return keys;  // fetched at runtime
  if (!spec.secret.empty()) {
    auto key = auth::Key::hmac(spec.secret);
    if (!key) return Error::invalid("gateway.auth.jwt.secret: " + key.error().message());
    keys.push_back(std::move(*key));
    return keys;
  }
  std::ifstream in(spec.jwks, std::ios::binary);
  if (!in) return Error::invalid("gateway.auth.jwt.jwks: cannot read " + spec.jwks.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto set = auth::parse_jwks(text);
  if (!set) return Error::invalid("gateway.auth.jwt.jwks: " + set.error().message());
  if (set->keys.empty()) {
    return Error::invalid("gateway.auth.jwt.jwks: no usable key in " + spec.jwks.string());
  }
  return std::move(set->keys);
}

bool contains(const std::vector<std::string>& have, std::string_view want) {
  return std::find(have.begin(), have.end(), want) != have.end();
}

bool has_kid(const std::vector<auth::Key>& keys, std::string_view kid) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const auth::Key& key) { return key.kid() == kid; });
}

Result<Identity> from_client_certificate(std::string_view subject,
                                         const std::vector<std::string>& allowed) {
  if (subject.empty()) return Error::unauthorized("a client certificate is required");
  if (!allowed.empty() && !contains(allowed, subject)) {
    return Error::forbidden("the client certificate is not allowed on this route");
  }
  Identity id;
  id.kind = Identity::Kind::kClientCertificate;
  id.consumer = std::string(subject);
  return id;
}

// A JWT this thread verified, and what it was verified with.
struct VerifiedToken {
  uint64_t authenticator = 0;
  // Held, not just compared: a freed set's address could be reused by the next.
  std::shared_ptr<const auth::JwkSet> keys;  // null with keys from the spec
  Identity identity;                         // its claims included
  auth::JwtVerifier::Lifetime lifetime;      // of its claims, read once
};

// Hashes the token's tail, its signature: as random as the whole and a
// fraction of its length (hashing a whole token was 1% of a proxied GET).
// Only verified tokens are stored, in a bounded map, so a caller cannot
// flood a bucket with chosen collisions.
struct TokenHash {
  using is_transparent = void;
  static constexpr size_t kHashedBytes = 24;
  size_t operator()(std::string_view s) const {
    return std::hash<std::string_view>{}(s.substr(s.size() - std::min(s.size(), kHashedBytes)));
  }
};

// Looked up by the whole token, compared in full: a hash alone would let a
// crafted collision stand in for someone else's token.
using VerifiedTokens = std::unordered_map<std::string, VerifiedToken, TokenHash, std::equal_to<>>;

VerifiedTokens& verified_tokens() {
  thread_local VerifiedTokens tokens;
  return tokens;
}

Identity identity_of(std::shared_ptr<const auth::Claims> claims) {
  Identity id;
  id.kind = Identity::Kind::kJwt;
  if (auto sub = claims->subject()) id.consumer = std::string(*sub);
  id.scopes = claims->scopes();
  id.roles = claims->roles();
  id.claims = std::move(claims);
  return id;
}

std::atomic<uint64_t> next_authenticator_id{1};

}  // namespace

Result<std::shared_ptr<RemoteJwks>> make_remote_jwks(const spec::GatewaySpec& spec,
                                                     asio::any_io_executor executor,
                                                     observe::Registry& metrics,
                                                     std::shared_ptr<RemoteJwks> reuse) {
  if (!spec.jwt || spec.jwt->jwks_url.empty()) return std::shared_ptr<RemoteJwks>();
  RemoteJwks::Options options;
  options.url = spec.jwt->jwks_url;
  options.refresh = spec.jwt->jwks_refresh;
  options.cooldown = spec.jwt->jwks_cooldown;
  options.ca_file = spec.jwt->jwks_ca.string();
  if (reuse && reuse->options() == options) return reuse;
  auto jwks = RemoteJwks::create(std::move(options), std::move(executor), metrics);
  if (!jwks) return Error::invalid("gateway.auth.jwt." + jwks.error().message());
  return jwks;
}

Result<Authenticator> Authenticator::create(const spec::GatewaySpec& spec,
                                            std::shared_ptr<RemoteJwks> remote_jwks) {
  Authenticator a;
  a.id_ = next_authenticator_id.fetch_add(1, std::memory_order_relaxed);
  if (spec.jwt) {
    if (!spec.jwt->jwks_url.empty() && !remote_jwks) {
      return Error::invalid("gateway.auth.jwt.jwks_url: no key fetcher was given");
    }
    auth::JwtVerifierOptions options;
    for (const auto& name : spec.jwt->algorithms) {
      if (auto alg = auth::jws_algorithm_from_name(name)) options.algorithms.push_back(*alg);
    }
    auto keys = jwt_keys(*spec.jwt);
    if (!keys) return keys.error();
    options.keys = std::move(*keys);
    options.keys_per_call = !spec.jwt->jwks_url.empty();
    options.issuers = spec.jwt->issuers;
    options.audiences = spec.jwt->audiences;
    options.leeway = spec.jwt->leeway;
    auto verifier = auth::JwtVerifier::create(std::move(options));
    if (!verifier) return Error::invalid("gateway.auth.jwt: " + verifier.error().message());
    a.jwt_ = std::make_shared<const auth::JwtVerifier>(std::move(*verifier));
    if (!spec.jwt->jwks_url.empty()) a.remote_jwks_ = std::move(remote_jwks);
  }
  if (spec.api_keys) {
    auto store = auth::ApiKeyStore::parse(spec.api_keys->keys);
    if (!store) return Error::invalid("gateway.auth.api_keys.keys: " + store.error().message());
    a.keys_ = std::make_shared<const auth::ApiKeyStore>(std::move(*store));
    a.key_header_ = spec.api_keys->header;
  }
  return a;
}

Result<Identity> Authenticator::from_jwt(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !iequals(authorization.substr(0, kBearer.size()), kBearer)) {
    return Error::unauthorized("a bearer token is required");
  }
  std::string_view token = authorization.substr(kBearer.size());
  // One load per request: a rotation mid-verification cannot mix key sets.
  std::shared_ptr<const auth::JwkSet> keys;
  if (remote_jwks_) {
    keys = remote_jwks_->keys();
    if (!keys) return Error::transient("the token keys are not available yet; try again later");
  }
  VerifiedTokens& remembered = verified_tokens();
  if (auto it = remembered.find(token); it != remembered.end()) {
    const VerifiedToken& v = it->second;
    if (v.authenticator == id_ && v.keys == keys && jwt_->within(v.lifetime)) {
      return v.identity;
    }
    remembered.erase(it);
  }
  auto claims = verify(token, keys);
  if (!claims) return std::move(claims).error();
  Identity id = identity_of(std::make_shared<const auth::Claims>(std::move(*claims)));
  if (remembered.size() >= kVerifiedTokensPerThread) remembered.clear();
  const auth::JwtVerifier::Lifetime lifetime = jwt_->lifetime(id.claims->payload());
  remembered.emplace(std::string(token), VerifiedToken{id_, keys, id, lifetime});
  return id;
}

Result<auth::Claims> Authenticator::verify(std::string_view token,
                                           const std::shared_ptr<const auth::JwkSet>& keys) const {
  constexpr std::string_view kInvalid = "the bearer token is not valid";
  if (!remote_jwks_) {
    auto claims = jwt_->verify(token);
    if (!claims) return Error::unauthorized(std::string(kInvalid));
    return claims;
  }
  auto claims = jwt_->verify(token, keys->keys);
  if (!claims) {
    // Signed with a key published after our last fetch, perhaps: fetch
    // again (rate limited), so that a retry finds it.
    auto kid = auth::token_key_id(token);
    if (kid && !has_kid(keys->keys, *kid)) remote_jwks_->request_refetch();
    return Error::unauthorized(std::string(kInvalid));
  }
  return claims;
}

Result<Identity> Authenticator::from_api_key(std::string_view key) const {
  auto consumer = keys_->lookup(key);
  if (!consumer) return Error::unauthorized("the API key is not valid");
  Identity id;
  id.kind = Identity::Kind::kApiKey;
  id.consumer = std::move(*consumer);
  return id;
}

Result<Identity> Authenticator::authenticate(HeaderView headers,
                                             const spec::RouteRequireSpec& require,
                                             std::string_view client_subject) const {
  using spec::AuthMode;
  if (require.auth == AuthMode::kNone) return Identity{};
  if (require.auth == AuthMode::kMtls) {
    return from_client_certificate(client_subject, require.subjects);
  }
  auto bearer = headers.get("Authorization");
  auto key = keys_ ? headers.get(key_header_) : std::nullopt;
  // `any` takes a client certificate when no credential rides in a header.
  if (require.auth == AuthMode::kAny && !bearer && !key && !client_subject.empty()) {
    return from_client_certificate(client_subject, require.subjects);
  }
  bool try_jwt = jwt_ && (require.auth == AuthMode::kJwt ||
                          (require.auth == AuthMode::kAny && (bearer || !key)));
  // Made where it is decided, not made first and assigned over: an error
  // made in advance cost an allocation on every request.
  Result<Identity> id = [&]() -> Result<Identity> {
    if (try_jwt) {
      if (bearer) return from_jwt(*bearer);
      return Error::unauthorized("a bearer token is required");
    }
    if (keys_ && require.auth != AuthMode::kJwt) {
      if (key) return from_api_key(*key);
      return Error::unauthorized("an API key is required in " + key_header_);
    }
    return Error::unauthorized("credentials are required");
  }();
  if (!id) return id;
  for (const auto& scope : require.scopes) {
    if (!contains(id->scopes, scope))
      return Error::forbidden("the token lacks scope '" + scope + "'");
  }
  if (!require.roles.empty()) {
    bool any = std::any_of(require.roles.begin(), require.roles.end(),
                           [&](const std::string& r) { return contains(id->roles, r); });
    if (!any) return Error::forbidden("the token has none of the roles this route requires");
  }
  return id;
}

std::string Authenticator::challenge(spec::AuthMode mode, bool presented) const {
  // Certificates are asked for in the TLS handshake, not by a header.
  if (mode == spec::AuthMode::kMtls || (mode == spec::AuthMode::kAny && !jwt_ && !keys_)) {
    return {};
  }
  if (mode == spec::AuthMode::kApiKey || (mode == spec::AuthMode::kAny && !jwt_)) {
    return "ApiKey header=\"" + key_header_ + "\"";
  }
  if (presented) return "Bearer realm=\"junction\", error=\"invalid_token\"";
  return "Bearer realm=\"junction\"";
}

}  // namespace junction::gateway
