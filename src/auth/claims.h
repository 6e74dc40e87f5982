#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace junction::auth {

// The payload of a verified token. Only JwtVerifier::verify makes these, so
// holding one means the signature and the registered claims checked out.
class Claims {
 public:
  explicit Claims(boost::json::object payload) : payload_(std::move(payload)) {}

  const boost::json::object& payload() const { return payload_; }

  // "sub", when it is a string.
  std::optional<std::string_view> subject() const;
  // "scope" as a space-separated string (RFC 8693 section 4.2), or "scp" as a
  // string or an array (Azure AD and Okta send it so).
  std::vector<std::string> scopes() const;
  // "roles" as an array of strings; a single string is one role.
  std::vector<std::string> roles() const;

  // A claim by dotted path: "tenant", "realm_access.roles". At each level the
  // whole remaining path is tried as one name first, so claims whose names
  // hold dots ("https://example.com/roles") are found too. Null when absent.
  const boost::json::value* find(std::string_view path) const;

 private:
  boost::json::object payload_;
};

}  // namespace junction::auth
