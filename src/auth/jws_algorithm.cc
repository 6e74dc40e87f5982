#include "auth/jws_algorithm.h"

#include <array>
#include <utility>

namespace junction::auth {

namespace {

constexpr std::array<std::pair<JwsAlgorithm, std::string_view>, 5> kNames = {{
    {JwsAlgorithm::kHs256, "HS256"},
    {JwsAlgorithm::kHs384, "HS384"},
    {JwsAlgorithm::kHs512, "HS512"},
    {JwsAlgorithm::kRs256, "RS256"},
    {JwsAlgorithm::kEs256, "ES256"},
}};

KeyType family(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kHs256:
    case JwsAlgorithm::kHs384:
    case JwsAlgorithm::kHs512:
      return KeyType::kHmac;
    case JwsAlgorithm::kRs256:
      return KeyType::kRsa;
    case JwsAlgorithm::kEs256:
      return KeyType::kEc;
  }
  return KeyType::kHmac;
}

// RFC 7518 section 3.2: the secret is at least as long as the hash output.
size_t min_secret_bytes(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kHs384:
      return 48;
    case JwsAlgorithm::kHs512:
      return 64;
    default:
      return 32;
  }
}

}  // namespace

std::string_view to_string(JwsAlgorithm alg) {
  for (const auto& [value, name] : kNames) {
    if (value == alg) return name;
  }
  return "unknown";
}

std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name) {
  for (const auto& [value, known] : kNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool key_fits(JwsAlgorithm alg, const Key& key) {
  if (key.type() != family(alg)) return false;
  if (key.type() == KeyType::kHmac && key.secret().size() < min_secret_bytes(alg)) return false;
  if (!key.alg().empty() && key.alg() != to_string(alg)) return false;
  return key.use().empty() || key.use() == "sig";
}

}  // namespace junction::auth
