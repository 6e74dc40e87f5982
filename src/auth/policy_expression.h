#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace junction::auth {

// What a policy expression may read about one request. The gateway
// implements it over the request, the matched route and the identity; tests
// implement it over plain maps.
class PolicyRequest {
 public:
  virtual ~PolicyRequest() = default;
  // The verified token's payload; null when the caller sent no token.
  virtual const boost::json::object* claims() const = 0;
  // A path parameter of the matched route template (`/t/{tenant}`).
  virtual std::optional<std::string_view> path_param(std::string_view name) const = 0;
  // A request header, by case-insensitive name; the first if repeated.
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  // A query parameter, percent-decoded; the first if repeated.
  virtual std::optional<std::string_view> query(std::string_view name) const = 0;
  virtual std::string_view method() const = 0;
  // The authenticated consumer; empty for an anonymous caller.
  virtual std::string_view consumer() const = 0;
};

// An attribute-based access rule of a route, e.g.
//   claims.tenant == path.tenant && request.method != 'DELETE'
//   'admin' in claims.roles || identity.consumer == "ops"
//
// The language is small on purpose: literals ('text', "text", 12, 1.5, true,
// false, ['a', 'b']), references (claims.a.b, claims['https://x/roles'],
// path.X, header.X, headers['X-Y'], query.X, request.method,
// identity.consumer), == != in ! && || and parentheses. No functions, no
// loops, bounded length and nesting, so a policy costs at most a walk over
// its own parse tree plus one scan of a claim array per `in`.
//
// It fails closed: a comparison with a missing value, or between values of
// different types (a number claim and a path parameter, which is text), is
// false whatever the operator, so `claims.tenant != 'x'` does not let in a
// token without a tenant. `!` of anything but a boolean is false, and the
// request is allowed only when the whole expression is the boolean true.
class PolicyExpression {
 public:
  static constexpr size_t kMaxLength = 4096;
  static constexpr int kMaxDepth = 32;  // nested parentheses and `!`
  static constexpr size_t kMaxClaimPath = 16;

  // Error::invalid "column N: <what was expected>" (1-based, in bytes).
  static Result<PolicyExpression> parse(std::string_view text);

  bool allows(const PolicyRequest& request) const;

  const std::string& text() const { return text_; }

 private:
  using Literal = std::variant<bool, double, std::string>;
  struct Node {
    enum class Kind : uint8_t {
      kLiteral,
      kList,    // a list literal, for `in`
      kClaim,   // names: the claim path
      kPath,    // names[0]
      kHeader,  // names[0]
      kQuery,   // names[0]
      kMethod,
      kConsumer,
      kNot,       // children[0]
      kAnd,       // children, two or more
      kOr,        // children, two or more
      kEqual,     // children[0] == children[1]
      kNotEqual,  // children[0] != children[1]
      kIn,        // children[0] in children[1]
    };
    Kind kind = Kind::kLiteral;
    Literal literal;
    std::vector<Literal> list;
    std::vector<std::string> names;
    std::vector<uint32_t> children;
  };
  class Parser;
  class Evaluator;

  std::string text_;
  std::vector<Node> nodes_;  // children before their parents
  uint32_t root_ = 0;
};

}  // namespace junction::auth
