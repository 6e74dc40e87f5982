#pragma once

#include <cstddef>
#include <string_view>

namespace junction::auth::detail {

// HMAC of `input` under `secret` with the digest named `digest` ("SHA256",
// "SHA384", "SHA512") into `out` (at least EVP_MAX_MD_SIZE bytes); the MAC's
// length, or 0 on failure.
//
// EVP_Q_mac, the obvious call, looks the HMAC implementation and the digest
// up by name in OpenSSL's provider store and hashes the key pads again on
// every call: about a tenth of a gateway request with a JWT. Each thread
// keeps a few keyed contexts instead (a gateway has a handful of secrets)
// and re-initialises one with its key kept. A context is found by its
// secret's bytes, never by address, so a reloaded secret cannot meet a
// context keyed with the old one.
size_t hmac(std::string_view digest, std::string_view secret, std::string_view input,
            unsigned char* out);

}  // namespace junction::auth::detail
