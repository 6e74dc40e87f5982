#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace junction {

// The class of a failure decides how every layer handles it: whether a flow
// retries, dead-letters, or which HTTP status an edge answers with.
enum class ErrorClass {
  kTransient,     // worth retrying: timeouts, connection loss, 503 from a peer
  kPermanent,     // retrying will not help: dead-letter at once
  kInvalid,       // the input itself is wrong: 400 / dead-letter at once
  kUnauthorized,  // no or bad credentials: 401
  kForbidden,     // credentials fine, not allowed: 403
  kOverloaded,    // back off and retry later: 429 / 503
};

std::string_view to_string(ErrorClass cls);
std::optional<ErrorClass> error_class_from_string(std::string_view name);

class Error {
 public:
  Error(ErrorClass cls, std::string message) : cls_(cls), message_(std::move(message)) {}

  static Error transient(std::string m) { return {ErrorClass::kTransient, std::move(m)}; }
  static Error permanent(std::string m) { return {ErrorClass::kPermanent, std::move(m)}; }
  static Error invalid(std::string m) { return {ErrorClass::kInvalid, std::move(m)}; }
  static Error unauthorized(std::string m) { return {ErrorClass::kUnauthorized, std::move(m)}; }
  static Error forbidden(std::string m) { return {ErrorClass::kForbidden, std::move(m)}; }
  static Error overloaded(std::string m) { return {ErrorClass::kOverloaded, std::move(m)}; }

  ErrorClass cls() const { return cls_; }
  const std::string& message() const { return message_; }

  // Only transient and overloaded failures may succeed on a later attempt.
  bool retryable() const {
    return cls_ == ErrorClass::kTransient || cls_ == ErrorClass::kOverloaded;
  }

  // The HTTP status an edge answers with for this class of failure.
  int http_status() const;

  // Prefixes context, keeping the class: "step 2 (map): <message>".
  Error wrap(std::string_view context) const;

 private:
  ErrorClass cls_;
  std::string message_;
};

// A value or an Error. Exceptions never cross a module boundary; this does.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}  // NOLINT

  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *e_; }
  Error&& error() && { return std::move(*e_); }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

inline Status ok_status() {
  return {};
}

}  // namespace junction
