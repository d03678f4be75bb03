#pragma once

#include <cstdint>
#include <mutex>

namespace relay {

/// Keeps lines that anyone can cause (a refused unauthenticated request) from flooding
/// the log: the first one is logged, then at most one per `interval_ms`, and the line
/// that is logged says how many were held back since the previous one. The caller
/// passes the time, so tests are exact. Thread-safe: one instance per kind of line,
/// shared by every request of the process.
class log_limiter {
 public:
  explicit log_limiter(std::int64_t interval_ms) : interval_ms_(interval_ms) {}

  struct verdict {
    bool log = false;              // write this one
    std::uint64_t suppressed = 0;  // lines held back since the last written one (when `log`)
  };

  /// One more line wants out at `now_ms`.
  verdict admit(std::int64_t now_ms);

 private:
  std::mutex mu_;
  std::int64_t interval_ms_;
  std::int64_t last_logged_ms_ = 0;
  bool logged_any_ = false;
  std::uint64_t suppressed_ = 0;
};

}  // namespace relay
