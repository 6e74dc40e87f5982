#include "auth/jwk.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <climits>

#include "auth/base64url.h"
#include "auth/openssl_handles.h"

namespace junction::auth {

namespace json = boost::json;
using namespace detail;

void PkeyFree::operator()(EVP_PKEY* pkey) const {
  EVP_PKEY_free(pkey);
}

std::string_view to_string(KeyType type) {
  switch (type) {
    case KeyType::kHmac:
      return "hmac";
    case KeyType::kRsa:
      return "rsa";
    case KeyType::kEc:
      return "ec";
  }
  return "unknown";
}

namespace {

constexpr size_t kMinHmacSecretBytes = 32;
constexpr int kMinRsaBits = 2048;
constexpr size_t kP256CoordinateBytes = 32;

// OpenSSL failures leave entries on the thread's error queue; a stale entry
// would be misread by the next TLS call on this thread, so drop them here.
Error openssl_failure(std::string message) {
  ERR_clear_error();
  return Error::invalid(std::move(message));
}

// Names from a document, cut short for error messages.
std::string_view clipped(const json::string& text) {
  return std::string_view(text.data(), std::min<size_t>(text.size(), 64));
}

bool is_p256(EVP_PKEY* pkey) {
  char group[64] = {};
  size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &length) != 1) {
    return false;
  }
  return std::string_view(group, length) == SN_X9_62_prime256v1;
}

Result<KeyType> public_key_type(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (EVP_PKEY_get_bits(pkey) < kMinRsaBits) {
      return Error::invalid(fmt::format("RSA key shorter than {} bits", kMinRsaBits));
    }
    return KeyType::kRsa;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    if (!is_p256(pkey)) return Error::invalid("EC key is not on curve P-256");
    return KeyType::kEc;
  }
  return Error::invalid("public key is neither RSA nor EC");
}

Result<PkeyPtr> pkey_from_params(const char* type_name, OSSL_PARAM_BLD* build) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(build));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type_name, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return openssl_failure(fmt::format("cannot build {} key", type_name));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return openssl_failure(fmt::format("invalid {} key parameters", type_name));
  }
  return PkeyPtr(raw);
}

BignumPtr to_bignum(std::string_view bytes) {
  return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()), nullptr));
}

Result<PkeyPtr> rsa_public_key(std::string_view modulus, std::string_view exponent) {
  BignumPtr n = to_bignum(modulus);
  BignumPtr e = to_bignum(exponent);
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!n || !e || !build ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return openssl_failure("cannot build RSA key");
  }
  return pkey_from_params("RSA", build.get());
}

Result<PkeyPtr> p256_public_key(std::string_view x, std::string_view y) {
  if (x.size() != kP256CoordinateBytes || y.size() != kP256CoordinateBytes) {
    return Error::invalid("P-256 coordinates must be 32 bytes");
  }
  // SEC 1 uncompressed point: 0x04 || x || y.
  std::string point = "\x04";
  point.append(x).append(y);
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!build ||
      OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return openssl_failure("cannot build EC key");
  }
  return pkey_from_params("EC", build.get());
}

// A JWK member that must be a base64url string.
Result<std::string> binary_member(const json::object& jwk, std::string_view name) {
  const json::value* member = jwk.if_contains(name);
  if (member == nullptr || !member->is_string()) {
    return Error::invalid(fmt::format("missing '{}'", name));
  }
  auto decoded = base64url_decode(member->get_string());
  if (!decoded) return Error::invalid(fmt::format("'{}' is not base64url", name));
  return std::move(*decoded);
}

Result<std::string> optional_string_member(const json::object& jwk, std::string_view name) {
  const json::value* member = jwk.if_contains(name);
  if (member == nullptr) return std::string();
  if (!member->is_string()) return Error::invalid(fmt::format("'{}' is not a string", name));
  return std::string(member->get_string());
}

Result<KeyLabels> labels_of(const json::object& jwk) {
  KeyLabels labels;
  for (auto [name, field] : {std::pair{"kid", &labels.kid}, std::pair{"alg", &labels.alg},
                             std::pair{"use", &labels.use}}) {
    auto value = optional_string_member(jwk, name);
    if (!value) return value.error();
    *field = std::move(*value);
  }
  return labels;
}

Result<Key> rsa_jwk(const json::object& jwk, KeyLabels labels) {
  auto n = binary_member(jwk, "n");
  if (!n) return n.error();
  auto e = binary_member(jwk, "e");
  if (!e) return e.error();
  auto pkey = rsa_public_key(*n, *e);
  if (!pkey) return pkey.error();
  return Key::public_key(std::move(*pkey), std::move(labels));
}

Result<Key> ec_jwk(const json::object& jwk, KeyLabels labels) {
  const json::value* crv = jwk.if_contains("crv");
  if (crv == nullptr || !crv->is_string()) return Error::invalid("missing 'crv'");
  if (crv->get_string() != "P-256") {
    return Error::invalid(fmt::format("unsupported crv '{}'", clipped(crv->get_string())));
  }
  auto x = binary_member(jwk, "x");
  if (!x) return x.error();
  auto y = binary_member(jwk, "y");
  if (!y) return y.error();
  auto pkey = p256_public_key(*x, *y);
  if (!pkey) return pkey.error();
  return Key::public_key(std::move(*pkey), std::move(labels));
}

Result<Key> oct_jwk(const json::object& jwk, KeyLabels labels) {
  auto k = binary_member(jwk, "k");
  if (!k) return k.error();
  return Key::hmac(std::move(*k), std::move(labels));
}

Result<Key> key_from_jwk(const json::value& entry) {
  if (!entry.is_object()) return Error::invalid("not an object");
  const json::object& jwk = entry.get_object();
  auto labels = labels_of(jwk);
  if (!labels) return labels.error();
  const json::value* kty = jwk.if_contains("kty");
  if (kty == nullptr || !kty->is_string()) return Error::invalid("missing 'kty'");
  const json::string& type = kty->get_string();
  if (type == "RSA") return rsa_jwk(jwk, std::move(*labels));
  if (type == "EC") return ec_jwk(jwk, std::move(*labels));
  if (type == "oct") return oct_jwk(jwk, std::move(*labels));
  return Error::invalid(fmt::format("unsupported kty '{}'", clipped(type)));
}

std::string describe_entry(size_t index, const json::value& entry) {
  if (entry.is_object()) {
    const json::value* kid = entry.get_object().if_contains("kid");
    if (kid != nullptr && kid->is_string()) {
      return fmt::format("key {} (kid '{}')", index, clipped(kid->get_string()));
    }
  }
  return fmt::format("key {}", index);
}

}  // namespace

Key::Key(KeyType type, PkeyPtr pkey, std::string secret, KeyLabels labels)
    : type_(type), pkey_(std::move(pkey)), secret_(std::move(secret)), labels_(std::move(labels)) {}

Result<Key> Key::hmac(std::string secret, KeyLabels labels) {
  if (secret.size() < kMinHmacSecretBytes) {
    return Error::invalid(fmt::format("HMAC secret shorter than {} bytes", kMinHmacSecretBytes));
  }
  return Key(KeyType::kHmac, nullptr, std::move(secret), std::move(labels));
}

Result<Key> Key::public_key(PkeyPtr pkey, KeyLabels labels) {
  if (!pkey) return Error::invalid("no public key");
  auto type = public_key_type(pkey.get());
  if (!type) return type.error();
  // Rejects points off the curve and malformed RSA moduli before any token
  // is checked against them.
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) {
    return openssl_failure("public key fails validation");
  }
  return Key(*type, std::move(pkey), std::string(), std::move(labels));
}

Result<JwkSet> parse_jwks(std::string_view text) {
  boost::system::error_code ec;
  json::value document = json::parse(text, ec);
  if (ec) return Error::invalid("jwks: not JSON: " + ec.message());
  const json::value* keys =
      document.is_object() ? document.get_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) return Error::invalid("jwks: no 'keys' array");
  JwkSet set;
  const json::array& entries = keys->get_array();
  for (size_t i = 0; i < entries.size(); ++i) {
    auto key = key_from_jwk(entries[i]);
    if (key) {
      set.keys.push_back(std::move(*key));
    } else {
      set.skipped.push_back(describe_entry(i, entries[i]) + ": " + key.error().message());
    }
  }
  return set;
}

Result<Key> load_pem_public_key(std::string_view pem, KeyLabels labels) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) return Error::invalid("pem: too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_failure("pem: out of memory");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return openssl_failure("pem: no PUBLIC KEY block found");
  auto key = Key::public_key(std::move(pkey), std::move(labels));
  if (!key) return key.error().wrap("pem");
  return key;
}

}  // namespace junction::auth
