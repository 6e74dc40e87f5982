#include "auth/jws_signature.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "auth/hmac_cache.h"
#include "auth/openssl_handles.h"

namespace junction::auth {

using namespace detail;

namespace {

constexpr size_t kP256ScalarBytes = 32;

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

const char* digest_name(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kHs384:
      return "SHA384";
    case JwsAlgorithm::kHs512:
      return "SHA512";
    default:
      return "SHA256";
  }
}

bool verify_hmac(JwsAlgorithm alg, std::string_view secret, std::string_view input,
                 std::string_view signature) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_length = hmac(digest_name(alg), secret, input, mac);
  if (mac_length == 0) return false;
  // The length is fixed by the algorithm, so checking it first leaks nothing;
  // the bytes are compared in constant time.
  if (signature.size() != mac_length) return false;
  return CRYPTO_memcmp(mac, signature.data(), mac_length) == 0;
}

bool verify_digest_signature(EVP_PKEY* pkey, bool rsa_pkcs1, std::string_view input,
                             const unsigned char* signature, size_t signature_length) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pkey_ctx, "SHA256", nullptr, nullptr, pkey,
                                      nullptr) != 1) {
    return false;
  }
  // PKCS#1 v1.5 is OpenSSL's default; pinned so a changed default cannot
  // quietly turn RS256 into something else.
  if (rsa_pkcs1 && EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature, signature_length, bytes(input), input.size()) == 1;
}

// JWS carries r||s; OpenSSL verifies a DER-encoded ECDSA-Sig-Value.
bool verify_es256(EVP_PKEY* pkey, std::string_view input, std::string_view signature) {
  if (signature.size() != 2 * kP256ScalarBytes) return false;
  BignumPtr r(BN_bin2bn(bytes(signature), kP256ScalarBytes, nullptr));
  BignumPtr s(BN_bin2bn(bytes(signature) + kP256ScalarBytes, kP256ScalarBytes, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
  r.release();  // now owned by sig
  s.release();
  unsigned char* der = nullptr;
  int der_length = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_length <= 0) return false;
  bool ok = verify_digest_signature(pkey, false, input, der, static_cast<size_t>(der_length));
  OPENSSL_free(der);
  return ok;
}

bool verify_with(JwsAlgorithm alg, const Key& key, std::string_view input,
                 std::string_view signature) {
  switch (alg) {
    case JwsAlgorithm::kHs256:
    case JwsAlgorithm::kHs384:
    case JwsAlgorithm::kHs512:
      return verify_hmac(alg, key.secret(), input, signature);
    case JwsAlgorithm::kRs256:
      return verify_digest_signature(key.pkey(), true, input, bytes(signature), signature.size());
    case JwsAlgorithm::kEs256:
      return verify_es256(key.pkey(), input, signature);
  }
  return false;
}

}  // namespace

bool verify_jws_signature(JwsAlgorithm alg, const Key& key, std::string_view signing_input,
                          std::string_view signature) {
  if (!key_fits(alg, key)) return false;
  bool ok = verify_with(alg, key, signing_input, signature);
  // A failed check leaves OpenSSL errors queued on this thread; a later TLS
  // call on the same thread would misread them.
  ERR_clear_error();
  return ok;
}

}  // namespace junction::auth
