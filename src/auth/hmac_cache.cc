#include "auth/hmac_cache.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <string>

namespace junction::auth::detail {
namespace {

constexpr size_t kSlots = 4;

struct KeyedContext {
  std::string digest;
  std::string secret;
  EVP_MAC_CTX* ctx = nullptr;

  void clear() {
    EVP_MAC_CTX_free(ctx);
    ctx = nullptr;
    OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
    digest.clear();
  }
};

struct ThreadContexts {
  std::array<KeyedContext, kSlots> slots;
  size_t next_victim = 0;
  ~ThreadContexts() {
    for (auto& s : slots) s.clear();
  }
};

EVP_MAC* hmac_algorithm() {
  // Fetched once: a fetched algorithm is immutable and safe to share.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

EVP_MAC_CTX* keyed_context(std::string_view digest, std::string_view secret) {
  thread_local ThreadContexts contexts;
  for (auto& s : contexts.slots) {
    if (s.ctx != nullptr && s.digest == digest && s.secret == secret) {
      // A NULL key keeps the one set before: only the inner state restarts.
      return EVP_MAC_init(s.ctx, nullptr, 0, nullptr) == 1 ? s.ctx : nullptr;
    }
  }
  EVP_MAC* mac = hmac_algorithm();
  if (mac == nullptr) return nullptr;
  KeyedContext& slot = contexts.slots[contexts.next_victim];
  contexts.next_victim = (contexts.next_victim + 1) % kSlots;
  slot.clear();
  slot.ctx = EVP_MAC_CTX_new(mac);
  if (slot.ctx == nullptr) return nullptr;
  std::string digest_name(digest);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(slot.ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) != 1) {
    slot.clear();
    return nullptr;
  }
  slot.digest = std::move(digest_name);
  slot.secret.assign(secret);
  return slot.ctx;
}

}  // namespace

size_t hmac(std::string_view digest, std::string_view secret, std::string_view input,
            unsigned char* out) {
  EVP_MAC_CTX* ctx = keyed_context(digest, secret);
  if (ctx == nullptr) return 0;
  size_t length = 0;
  if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size()) !=
          1 ||
      EVP_MAC_final(ctx, out, &length, EVP_MAX_MD_SIZE) != 1) {
    return 0;
  }
  return length;
}

}  // namespace junction::auth::detail
