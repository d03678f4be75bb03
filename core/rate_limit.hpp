#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace relay {

/// A token bucket: `rate` tokens a second, holding at most `burst`. Not thread-safe;
/// one per connection actor.
class token_bucket {
 public:
  token_bucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  /// Takes one token. Returns 0 when granted, else the milliseconds until one is there.
  std::int64_t take(std::int64_t now_ms);

  /// True when the bucket is full (nothing to remember about its owner).
  bool full(std::int64_t now_ms);

  /// Lowers the bucket to `tokens_left` when that is less than it holds; below zero is a
  /// debt the refill pays back before the next grant (at most one burst of it).
  void settle(double tokens_left, std::int64_t now_ms);

 private:
  void refill(std::int64_t now_ms);
  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_ = -1;
};

/// Token buckets by key (a user id), shared by every connection and request of the
/// process, so opening more sockets does not buy more sends. Thread-safe.
///
/// Across processes (cluster mode) an observer hears of every grant and tells a shared
/// bucket; what that bucket holds comes back through `settle`, so the local bucket never
/// holds more than the shared one did a round trip ago, and `take` stays local.
class keyed_limiter {
 public:
  /// Called with the key after each granted `take`, outside the limiter's lock, on the
  /// thread that took.
  using grant_observer = std::function<void(const std::string& key)>;

  keyed_limiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  double rate() const noexcept { return rate_; }
  double burst() const noexcept { return burst_; }

  /// 0 when granted, else the milliseconds until `key` may send again.
  std::int64_t take(const std::string& key, std::int64_t now_ms);

  /// Sets the observer. Only before the limiter is shared: it is read without the lock.
  void observe(grant_observer on_grant) { on_grant_ = std::move(on_grant); }

  /// Lowers `key`'s bucket to `tokens_left` (see token_bucket::settle); never raises it.
  void settle(const std::string& key, double tokens_left, std::int64_t now_ms);

 private:
  double rate_;
  double burst_;
  grant_observer on_grant_;
  std::mutex mu_;
  std::unordered_map<std::string, token_bucket> buckets_;
  std::uint64_t takes_ = 0;
};

/// Bytes a second shared by every connection of the process, reserved before the
/// bytes are produced and refunded when fewer went out. Resumes spend it: however many
/// clients come back far behind at once, catching them up takes at most this rate from
/// the threads serving live traffic. Thread-safe.
class byte_budget {
 public:
  /// `bytes_per_second` 0: unlimited.
  byte_budget(double bytes_per_second, double burst)
      : rate_(bytes_per_second), burst_(burst), tokens_(burst) {}

  /// Reserves `bytes`. Returns 0 when granted, else the milliseconds until they are
  /// there (nothing is reserved then).
  std::int64_t reserve(std::size_t bytes, std::int64_t now_ms);
  /// Gives back what a reservation of `reserved` bytes did not use.
  void refund(std::size_t reserved, std::size_t used);

 private:
  std::mutex mu_;
  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_ = -1;
};

}  // namespace relay
