#include "core/log_limiter.hpp"

namespace relay {

log_limiter::verdict log_limiter::admit(std::int64_t now_ms) {
  std::lock_guard lock{mu_};
  // A clock that steps back must not hold lines back for longer than an interval.
  if (!logged_any_ || now_ms - last_logged_ms_ >= interval_ms_ || now_ms < last_logged_ms_) {
    logged_any_ = true;
    last_logged_ms_ = now_ms;
    verdict v{true, suppressed_};
    suppressed_ = 0;
    return v;
  }
  ++suppressed_;
  return {};
}

}  // namespace relay
