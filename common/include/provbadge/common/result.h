// Error values shared by every provbadge library: Error, Status and Result<T>.
//
// No exceptions cross a library boundary; fallible calls return Status or Result<T>.
// The error code says what the caller must do (see DESIGN.md, "Queue semantics"):
//   kInvalidInput       malformed input (event, attestation, config): dead-letter or "failed".
//   kNotFound           the thing asked for does not exist.
//   kVerificationFailed well-formed but does not verify: a verdict, not a fault.
//   kUnavailable        a transient fault (disk, broker, store, network): retry, never a verdict.
//   kInternal           a bug or an unexpected state.
//
// Thread-safety: these are plain values; distinct objects may be used from different threads.
#ifndef PROVBADGE_COMMON_RESULT_H_
#define PROVBADGE_COMMON_RESULT_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace provbadge {

enum class ErrorCode { kInvalidInput, kNotFound, kVerificationFailed, kUnavailable, kInternal };

inline std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return "invalid_input";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kVerificationFailed:
      return "verification_failed";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

// An error: a code plus a human-readable message ("context: cause: cause").
class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is prefixed with `context: `.
  Error Wrap(std::string_view context) const {
    return Error(code_, std::string(context) + ": " + message_);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

inline Error InvalidInput(std::string m) { return Error(ErrorCode::kInvalidInput, std::move(m)); }
inline Error NotFound(std::string m) { return Error(ErrorCode::kNotFound, std::move(m)); }
inline Error Unavailable(std::string m) { return Error(ErrorCode::kUnavailable, std::move(m)); }
inline Error Internal(std::string m) { return Error(ErrorCode::kInternal, std::move(m)); }

// Success or an Error. Success holds no allocation.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e)) {}  // NOLINT: implicit by design

  static Status Ok() { return Status(); }
  bool ok() const { return !error_.has_value(); }
  // REQUIRES: !ok().
  const Error& error() const {
    assert(error_.has_value());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

// A value of T or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}      // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // REQUIRES: !ok().
  const Error& error() const {
    assert(!ok());
    return std::get<Error>(v_);
  }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace provbadge

#endif  // PROVBADGE_COMMON_RESULT_H_
