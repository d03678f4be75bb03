#include "core/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace relay {

void token_bucket::refill(std::int64_t now_ms) {
  if (last_ms_ >= 0 && now_ms > last_ms_)
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
  if (now_ms > last_ms_) last_ms_ = now_ms;
}

std::int64_t token_bucket::take(std::int64_t now_ms) {
  refill(now_ms);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  if (rate_ <= 0) return 60'000;
  return std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0)));
}

bool token_bucket::full(std::int64_t now_ms) {
  refill(now_ms);
  return tokens_ >= burst_;
}

void token_bucket::settle(double tokens_left, std::int64_t now_ms) {
  refill(now_ms);
  tokens_ = std::min(tokens_, std::max(tokens_left, -burst_));
}

std::int64_t keyed_limiter::take(const std::string& key, std::int64_t now_ms) {
  std::int64_t wait = 0;
  {
    std::lock_guard lock{mu_};
    // Now and then forget users whose buckets refilled: memory follows active senders.
    if (++takes_ % 4096 == 0)
      for (auto it = buckets_.begin(); it != buckets_.end();)
        it = it->second.full(now_ms) ? buckets_.erase(it) : std::next(it);
    auto it = buckets_.try_emplace(key, rate_, burst_).first;
    wait = it->second.take(now_ms);
  }
  // Outside the lock: the observer may be slow (it queues a Redis command), and other
  // keys' takes need not wait for it.
  if (wait == 0 && on_grant_) on_grant_(key);
  return wait;
}

void keyed_limiter::settle(const std::string& key, double tokens_left, std::int64_t now_ms) {
  std::lock_guard lock{mu_};
  buckets_.try_emplace(key, rate_, burst_).first->second.settle(tokens_left, now_ms);
}

std::int64_t byte_budget::reserve(std::size_t bytes, std::int64_t now_ms) {
  if (rate_ <= 0) return 0;
  std::lock_guard lock{mu_};
  if (last_ms_ >= 0 && now_ms > last_ms_)
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
  if (now_ms > last_ms_) last_ms_ = now_ms;
  // A reservation bigger than the burst could never be granted: it waits for a full
  // bucket instead.
  auto need = std::min(static_cast<double>(bytes), burst_);
  if (tokens_ >= need) {
    tokens_ -= static_cast<double>(bytes);
    return 0;
  }
  return std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil((need - tokens_) / rate_ * 1000.0)));
}

void byte_budget::refund(std::size_t reserved, std::size_t used) {
  if (rate_ <= 0 || used >= reserved) return;
  std::lock_guard lock{mu_};
  tokens_ = std::min(burst_, tokens_ + static_cast<double>(reserved - used));
}

}  // namespace relay
