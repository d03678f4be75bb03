#pragma once

#include <cstdint>
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

 private:
  void refill(std::int64_t now_ms);
  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_ = -1;
};

/// Token buckets by key (a user id), shared by every connection and request of the
/// process, so opening more sockets does not buy more sends. Thread-safe.
class keyed_limiter {
 public:
  keyed_limiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  /// 0 when granted, else the milliseconds until `key` may send again.
  std::int64_t take(const std::string& key, std::int64_t now_ms);

 private:
  double rate_;
  double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, token_bucket> buckets_;
  std::uint64_t takes_ = 0;
};

}  // namespace relay
