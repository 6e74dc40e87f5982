#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace junction::auth {

struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class KeyType {
  kHmac,  // a shared secret (JWK "oct")
  kRsa,   // an RSA public key of at least 2048 bits
  kEc,    // an EC public key on P-256; other curves are refused at load
};

std::string_view to_string(KeyType type);

// The JWK members that say which tokens a key may verify (RFC 7517 section 4).
struct KeyLabels {
  std::string kid;  // matched against the token's "kid"
  std::string alg;  // when set, the only algorithm this key verifies
  std::string use;  // when set, must be "sig" for the key to verify tokens
};

// One verification key: an HMAC secret or a public key, never both. Move-only,
// because it owns its EVP_PKEY.
class Key {
 public:
  // RFC 7518 section 3.2 requires a secret at least as long as the hash; 32
  // bytes is the floor for HS256, and HS384/HS512 ask for more at verify time.
  static Result<Key> hmac(std::string secret, KeyLabels labels = {});
  // Takes an RSA (>= 2048 bits) or P-256 public key; anything else, or a key
  // that fails OpenSSL's public key check, is Error::invalid.
  static Result<Key> public_key(PkeyPtr pkey, KeyLabels labels = {});

  KeyType type() const { return type_; }
  const std::string& kid() const { return labels_.kid; }
  const std::string& alg() const { return labels_.alg; }
  const std::string& use() const { return labels_.use; }
  // Null for HMAC keys.
  EVP_PKEY* pkey() const { return pkey_.get(); }
  // Empty for public keys.
  std::string_view secret() const { return secret_; }

 private:
  Key(KeyType type, PkeyPtr pkey, std::string secret, KeyLabels labels);

  KeyType type_;
  PkeyPtr pkey_;
  std::string secret_;
  KeyLabels labels_;
};

struct JwkSet {
  std::vector<Key> keys;
  // Why each left-out key was left out, e.g. "key 2 (kid 'x'): unsupported kty 'OKP'".
  std::vector<std::string> skipped;
};

// Parses a JWKS document ({"keys": [...]}) holding RSA, EC P-256 and oct keys.
// One unusable key is skipped with a reason rather than failing the set: an
// identity provider publishing a key type we do not support must not take
// down the keys we do. Only a document that is not a JWKS is Error::invalid.
Result<JwkSet> parse_jwks(std::string_view json);

// One PEM "PUBLIC KEY" (SubjectPublicKeyInfo) block, RSA or EC P-256.
Result<Key> load_pem_public_key(std::string_view pem, KeyLabels labels = {});

}  // namespace junction::auth
