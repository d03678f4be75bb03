#pragma once

// What a Redis command answers (RESP2), copied out of hiredis so it outlives the
// callback, and the ways a command can fail.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct redisReply;

namespace relay::redis {

/// One RESP2 reply. `str` holds a bulk string (binary-safe), a status (`OK`) or an
/// error message; `integer` an integer reply; `elements` an array's items.
struct reply {
  enum class kind : std::uint8_t { string, array, integer, nil, status, error };
  kind type = kind::nil;
  std::string str;
  std::int64_t integer = 0;
  std::vector<reply> elements;

  /// A deep copy of hiredis's reply.
  static reply from(const redisReply& r);
};

/// Why a command has no reply.
enum class failure_kind : std::uint8_t {
  server,        // Redis answered with an error (`message` is its text, e.g. WRONGTYPE …)
  disconnected,  // not connected when issued, or the connection was lost before the reply
  timeout,       // no reply within the command's deadline
  stopped,       // the client was stopped
};

struct failure {
  failure_kind kind = failure_kind::disconnected;
  std::string message;
};

/// A command's outcome: its reply, or why there is none.
class result {
 public:
  result(reply r) : value_{std::move(r)} {}      // NOLINT: implicit, like std::expected
  result(failure f) : failure_{std::move(f)} {}  // NOLINT

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  /// Only with a value.
  const reply& operator*() const { return *value_; }
  const reply* operator->() const { return &*value_; }
  /// Only without a value.
  const failure& error() const { return failure_; }

 private:
  std::optional<reply> value_;
  failure failure_;
};

}  // namespace relay::redis
