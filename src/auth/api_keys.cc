#include "auth/api_keys.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <map>

namespace junction::auth {

namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r";
  size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

template <size_t N>
std::string fingerprint(const std::array<unsigned char, N>& digest) {
  return fmt::format("sha256:{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2], digest[3]);
}

}  // namespace

ApiKeyStore::Digest ApiKeyStore::sha256(std::string_view bytes) {
  Digest digest{};
  unsigned int length = 0;
  // SHA-256 through the default provider cannot fail short of memory
  // exhaustion; abort rather than store a zero digest that any key would miss.
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    std::fputs("junction: SHA-256 unavailable\n", stderr);
    std::abort();
  }
  return digest;
}

Result<ApiKeyStore> ApiKeyStore::parse(std::string_view text) {
  ApiKeyStore store;
  std::map<Digest, size_t> first_line;
  size_t line_number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;

    std::string_view key = line;
    std::string_view consumer;
    if (size_t colon = line.find(':'); colon != std::string_view::npos) {
      consumer = trim(line.substr(0, colon));
      key = trim(line.substr(colon + 1));
      if (consumer.empty()) {
        return Error::invalid(fmt::format("api keys line {}: empty consumer name", line_number));
      }
    }
    if (key.empty()) return Error::invalid(fmt::format("api keys line {}: empty key", line_number));

    Digest digest = sha256(key);
    auto [seen, inserted] = first_line.emplace(digest, line_number);
    if (!inserted) {
      return Error::invalid(fmt::format("api keys line {}: duplicate key (first on line {})",
                                        line_number, seen->second));
    }
    store.entries_.push_back(
        {digest, consumer.empty() ? fingerprint(digest) : std::string(consumer)});
  }
  return store;
}

std::optional<std::string> ApiKeyStore::lookup(std::string_view presented) const {
  Digest digest = sha256(presented);
  const Entry* match = nullptr;
  for (const Entry& entry : entries_) {
    // No early exit; comparing digests also means a timing difference could
    // only reveal digest bytes, which the caller does not control.
    bool equal = CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0;
    if (equal) match = &entry;
  }
  if (match == nullptr) return std::nullopt;
  return match->consumer;
}

std::vector<std::string> ApiKeyStore::consumers() const {
  std::vector<std::string> names;
  names.reserve(entries_.size());
  for (const Entry& entry : entries_) names.push_back(entry.consumer);
  return names;
}

}  // namespace junction::auth
