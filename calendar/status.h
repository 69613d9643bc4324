// Status and Result<T>: the one error vocabulary of convene.
//
// Every fallible function returns a Status or a Result<T>. Foreign error models (SQLite codes,
// libical's icalerrno, libcurl codes, exceptions) are converted where they are called; nothing
// throws across a folder boundary. A Status carries a machine code, a short message that is safe
// to show to the caller, and optionally the input field it is about. Values are immutable and
// freely copyable between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace convene {

enum class Code {
  kOk = 0,
  kInvalidArgument,       // bad input: 400
  kUnauthenticated,       // 401
  kPermissionDenied,      // 403
  kNotFound,              // 404 (also: somebody else's object)
  kConflict,              // 409 (venue clash, duplicate slug ...)
  kPreconditionFailed,    // 412 stale If-Match
  kTooLarge,              // 413
  kUnsupportedMedia,      // 415
  kPreconditionRequired,  // 428 If-Match missing
  kRateLimited,           // 429
  kInternal,              // 500: details go to the log, never to the caller
  kUnavailable,           // 503: busy database, full disk, transient
};

// The snake_case name used in JSON error bodies ("invalid_argument", ...).
const char* CodeName(Code code);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string field = {}, std::string error_code = {})
      : code_(code),
        message_(std::move(message)),
        field_(std::move(field)),
        error_code_(std::move(error_code)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The request field the error is about, or empty.
  const std::string& field() const { return field_; }
  // A more specific code for the JSON body ("venue_clash"); defaults to CodeName(code()).
  std::string error_code() const { return error_code_.empty() ? CodeName(code_) : error_code_; }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string field_;
  std::string error_code_;
};

inline Status InvalidArgument(std::string field, std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), std::move(field));
}
inline Status NotFound(std::string message) { return Status(Code::kNotFound, std::move(message)); }
inline Status Internal(std::string message) { return Status(Code::kInternal, std::move(message)); }
inline Status Conflict(std::string message, std::string error_code = {}) {
  return Status(Code::kConflict, std::move(message), {}, std::move(error_code));
}

// Result<T>: either a T or a non-OK Status. GCC 12 has no std::expected.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace convene

// Propagation helpers: return early with the Status of a failed expression.
#define CONVENE_CONCAT_INNER(a, b) a##b
#define CONVENE_CONCAT(a, b) CONVENE_CONCAT_INNER(a, b)
#define RETURN_IF_ERROR(expr)       \
  do {                              \
    ::convene::Status _st = (expr); \
    if (!_st.ok()) return _st;      \
  } while (0)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(CONVENE_CONCAT(_res_, __LINE__), lhs, expr)
