#pragma once

// Test-only: makes keys at test time and signs tokens with them, so no
// private key is ever committed. Production code only verifies.

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "auth/base64url.h"
#include "auth/jwk.h"

namespace junction::auth::testing {

inline void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

inline PkeyPtr generate_rsa(size_t bits = 2048) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
  require(key != nullptr, "RSA keygen");
  return key;
}

inline PkeyPtr generate_ec(const char* curve = "P-256") {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  require(key != nullptr, "EC keygen");
  return key;
}

// Generated once per test binary: RSA key generation is the slow part.
struct TestKeys {
  PkeyPtr rsa = generate_rsa();
  PkeyPtr other_rsa = generate_rsa();
  PkeyPtr ec = generate_ec();
  PkeyPtr other_ec = generate_ec();
};

inline const TestKeys& test_keys() {
  static const TestKeys keys;
  return keys;
}

// 64 bytes: long enough for HS512.
inline const std::string kHmacSecret =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

inline std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  require(bio != nullptr && PEM_write_bio_PUBKEY(bio, key) == 1, "PEM write");
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  return pem;
}

inline std::string bignum_param(EVP_PKEY* key, const char* name) {
  BIGNUM* value = nullptr;
  require(EVP_PKEY_get_bn_param(key, name, &value) == 1, "get bn param");
  std::string bytes(static_cast<size_t>(BN_num_bytes(value)), '\0');
  BN_bn2bin(value, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(value);
  return bytes;
}

inline std::string padded_bignum_param(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* value = nullptr;
  require(EVP_PKEY_get_bn_param(key, name, &value) == 1, "get bn param");
  std::string bytes(static_cast<size_t>(width), '\0');
  BN_bn2binpad(value, reinterpret_cast<unsigned char*>(bytes.data()), width);
  BN_free(value);
  return bytes;
}

// The public half of `key` as a JWK object (no private members).
inline boost::json::object public_jwk(EVP_PKEY* key, std::string_view kid) {
  boost::json::object jwk;
  if (EVP_PKEY_is_a(key, "RSA")) {
    jwk["kty"] = "RSA";
    jwk["n"] = base64url_encode(bignum_param(key, OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = base64url_encode(bignum_param(key, OSSL_PKEY_PARAM_RSA_E));
  } else {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = base64url_encode(padded_bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32));
    jwk["y"] = base64url_encode(padded_bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  }
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

inline std::string hmac(std::string_view digest, std::string_view secret, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t length = 0;
  require(EVP_Q_mac(nullptr, "HMAC", nullptr, std::string(digest).c_str(), nullptr, secret.data(),
                    secret.size(), reinterpret_cast<const unsigned char*>(input.data()),
                    input.size(), mac, sizeof mac, &length) != nullptr,
          "HMAC");
  return std::string(reinterpret_cast<char*>(mac), length);
}

// RS256 gives PKCS#1 v1.5 bytes; ES256 is converted from DER to JWS's r||s.
inline std::string digest_sign(EVP_PKEY* key, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  require(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1,
          "sign init");
  size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  require(EVP_DigestSign(ctx, nullptr, &length, data, input.size()) == 1, "sign size");
  std::string signature(length, '\0');
  require(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                         input.size()) == 1,
          "sign");
  EVP_MD_CTX_free(ctx);
  signature.resize(length);
  if (!EVP_PKEY_is_a(key, "EC")) return signature;

  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  require(sig != nullptr, "DER decode");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

// What a signer puts in the third segment for `alg`; HS* use `secret`, the
// others `key`. An unknown alg (such as "none") signs with nothing.
inline std::string signature_for(std::string_view alg, std::string_view input,
                                 std::string_view secret, EVP_PKEY* key) {
  if (alg == "HS256") return hmac("SHA256", secret, input);
  if (alg == "HS384") return hmac("SHA384", secret, input);
  if (alg == "HS512") return hmac("SHA512", secret, input);
  if (alg == "RS256" || alg == "ES256") return digest_sign(key, input);
  return {};
}

// A compact JWS over the given header and payload JSON, as written.
inline std::string sign_raw(std::string_view header_json, std::string_view payload_json,
                            std::string_view alg, std::string_view secret, EVP_PKEY* key) {
  std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  return input + "." + base64url_encode(signature_for(alg, input, secret, key));
}

// The usual case: a header of {"alg", "kid"?} and a JSON object payload.
inline std::string sign(std::string_view alg, const boost::json::object& payload,
                        std::string_view kid = {}, std::string_view secret = kHmacSecret,
                        EVP_PKEY* key = nullptr) {
  boost::json::object header{{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return sign_raw(boost::json::serialize(header), boost::json::serialize(payload), alg, secret,
                  key);
}

}  // namespace junction::auth::testing
