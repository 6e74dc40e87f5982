#include "auth/jwt.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <optional>

#include "auth/base64url.h"
#include "auth/jws_signature.h"
#include "core/coarse_clock.h"

namespace junction::auth {

namespace json = boost::json;

namespace {

Error refuse(const char* reason) {
  return Error::unauthorized(reason);
}

// The three segments of a compact JWS, still encoded.
struct Segments {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // "header.payload", what the signature covers
};

std::optional<Segments> split(std::string_view token) {
  size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  return Segments{token.substr(0, first), token.substr(first + 1, second - first - 1),
                  token.substr(second + 1), token.substr(0, second)};
}

// Boost.JSON keeps the last of duplicate member names, which RFC 7515
// section 4 allows; invalid UTF-8 is refused.
std::optional<json::object> decode_object(std::string_view segment) {
  auto text = base64url_decode(segment);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::value value = json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A JSON number as a NumericDate (RFC 7519 section 2); fractions are allowed.
std::optional<double> numeric_date(const json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  if (value.is_double() && std::isfinite(value.get_double())) return value.get_double();
  return std::nullopt;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  for (const std::string& item : list) {
    if (item == value) return true;
  }
  return false;
}

bool audience_matches(const json::value& aud, const std::vector<std::string>& expected) {
  if (aud.is_string()) return contains(expected, aud.get_string());
  if (!aud.is_array()) return false;
  for (const json::value& item : aud.get_array()) {
    if (item.is_string() && contains(expected, item.get_string())) return true;
  }
  return false;
}

}  // namespace

JwtVerifier::JwtVerifier(JwtVerifierOptions options) : options_(std::move(options)) {}

Result<JwtVerifier> JwtVerifier::create(JwtVerifierOptions options) {
  if (options.algorithms.empty()) return Error::invalid("jwt: no algorithm allowed");
  if (options.keys.empty() && !options.keys_per_call) {
    return Error::invalid("jwt: no verification key");
  }
  if (options.leeway < Duration::zero()) return Error::invalid("jwt: leeway is negative");
  if (options.max_token_bytes == 0) return Error::invalid("jwt: max token size is zero");
  return JwtVerifier(std::move(options));
}

Result<Claims> JwtVerifier::verify(std::string_view token) const {
  return verify(token, options_.keys);
}

Result<Claims> JwtVerifier::verify(std::string_view token, const std::vector<Key>& keys) const {
  if (token.size() > options_.max_token_bytes) return refuse("token too large");
  std::optional<Segments> segments = split(token);
  if (!segments) return refuse("malformed token");

  auto header = read_header(segments->header);
  if (!header) return std::move(header).error();
  auto key = select_key(header->alg, header->kid, keys);
  if (!key) return std::move(key).error();
  auto signature = base64url_decode(segments->signature);
  if (!signature) return refuse("malformed token signature");
  if (!verify_jws_signature(header->alg, **key, segments->signing_input, *signature)) {
    return refuse("signature invalid");
  }

  // Parsed only once the signature holds, so unauthenticated input never
  // reaches the JSON parser beyond the small header.
  std::optional<json::object> payload = decode_object(segments->payload);
  if (!payload) return refuse("malformed token payload");
  Status checked = check_registered_claims(*payload);
  if (!checked) return std::move(checked).error();
  return Claims(std::move(*payload));
}

Result<JwtVerifier::TokenHeader> JwtVerifier::read_header(std::string_view segment) const {
  std::optional<json::object> header = decode_object(segment);
  if (!header) return refuse("malformed token header");
  const json::value* alg_name = header->if_contains("alg");
  if (alg_name == nullptr || !alg_name->is_string()) return refuse("malformed token header");
  // "none" in any spelling is named here so no later change to the name
  // table can make an unsigned token acceptable.
  if (equals_ignoring_case(alg_name->get_string(), "none")) return refuse("algorithm not allowed");
  std::optional<JwsAlgorithm> alg = jws_algorithm_from_name(alg_name->get_string());
  if (!alg || !allows(*alg)) return refuse("algorithm not allowed");
  // We implement no extensions, so RFC 7515 section 4.1.11 says refuse any
  // that the signer marked critical.
  if (header->contains("crit")) return refuse("unsupported critical header");
  // "jwk", "jku" and "x5u" are ignored on purpose: a key named by the token
  // itself proves nothing.
  TokenHeader result{*alg, std::nullopt};
  if (const json::value* kid = header->if_contains("kid")) {
    if (!kid->is_string()) return refuse("malformed token header");
    result.kid.emplace(kid->get_string());
  }
  return result;
}

bool JwtVerifier::allows(JwsAlgorithm alg) const {
  for (JwsAlgorithm allowed : options_.algorithms) {
    if (allowed == alg) return true;
  }
  return false;
}

Result<const Key*> JwtVerifier::select_key(JwsAlgorithm alg, const std::optional<std::string>& kid,
                                           const std::vector<Key>& keys) const {
  if (kid) {
    bool known = false;
    for (const Key& key : keys) {
      if (key.kid() != *kid) continue;
      known = true;
      if (key_fits(alg, key)) return &key;
    }
    return refuse(known ? "key does not fit algorithm" : "unknown key id");
  }
  const Key* only = nullptr;
  int fitting = 0;
  for (const Key& key : keys) {
    if (!key_fits(alg, key)) continue;
    only = &key;
    ++fitting;
  }
  if (fitting == 0) return refuse("no key for algorithm");
  if (fitting > 1) return refuse("token has no key id");
  return only;
}

Status JwtVerifier::check_lifetime(const json::object& payload) const {
  auto now = static_cast<double>(this->now());
  auto leeway = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.leeway).count());

  if (const json::value* exp = payload.if_contains("exp")) {
    std::optional<double> expires = numeric_date(*exp);
    if (!expires) return refuse("malformed exp claim");
    // "on or after which the JWT MUST NOT be accepted" (RFC 7519 section 4.1.4)
    if (now - leeway >= *expires) return refuse("token expired");
  } else if (options_.require_expiry) {
    return refuse("token has no expiry");
  }

  if (const json::value* nbf = payload.if_contains("nbf")) {
    std::optional<double> not_before = numeric_date(*nbf);
    if (!not_before) return refuse("malformed nbf claim");
    if (now + leeway < *not_before) return refuse("token not yet valid");
  }
  return ok_status();
}

JwtVerifier::Lifetime JwtVerifier::lifetime(const json::object& payload) const {
  const auto leeway = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.leeway).count());
  Lifetime out;
  // Refused at now - leeway >= exp, and at now + leeway < nbf (check_lifetime).
  if (const json::value* exp = payload.if_contains("exp")) {
    if (auto expires = numeric_date(*exp)) out.valid_until = *expires + leeway;
  }
  if (const json::value* nbf = payload.if_contains("nbf")) {
    if (auto not_before = numeric_date(*nbf)) out.valid_from = *not_before - leeway;
  }
  return out;
}

bool JwtVerifier::within(const Lifetime& lifetime) const {
  const auto now = static_cast<double>(this->now());
  return now >= lifetime.valid_from && now < lifetime.valid_until;
}

Status JwtVerifier::check_registered_claims(const json::object& payload) const {
  if (Status lifetime = check_lifetime(payload); !lifetime) return lifetime;
  if (!options_.issuers.empty()) {
    const json::value* iss = payload.if_contains("iss");
    if (iss == nullptr || !iss->is_string() || !contains(options_.issuers, iss->get_string())) {
      return refuse("issuer mismatch");
    }
  }

  const json::value* aud = payload.if_contains("aud");
  if (!options_.audiences.empty() || aud != nullptr) {
    if (aud == nullptr || !audience_matches(*aud, options_.audiences)) {
      return refuse("audience mismatch");
    }
  }
  return ok_status();
}

int64_t JwtVerifier::now() const {
  if (options_.clock) return options_.clock();
  // Lifetimes are whole seconds: the tick-old clock does.
  return std::chrono::duration_cast<std::chrono::seconds>(coarse_system_now().time_since_epoch())
      .count();
}

std::optional<std::string> token_key_id(std::string_view token, size_t max_token_bytes) {
  if (token.size() > max_token_bytes) return std::nullopt;
  std::optional<Segments> segments = split(token);
  if (!segments) return std::nullopt;
  std::optional<json::object> header = decode_object(segments->header);
  if (!header) return std::nullopt;
  const json::value* kid = header->if_contains("kid");
  if (kid == nullptr || !kid->is_string()) return std::nullopt;
  return std::string(kid->get_string());
}

}  // namespace junction::auth
