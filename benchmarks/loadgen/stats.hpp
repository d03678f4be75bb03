// Latency histogram and small timing helpers shared by the load generator modes.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <limits>

namespace loadgen {

using steady = std::chrono::steady_clock;

// Steady-clock nanoseconds: the publisher stamps these into message content and the
// subscribers (same process, same clock) subtract them, so no clock sync is involved.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
      .count();
}

// Log-linear histogram of nanosecond values (HDR-style): 64 sub-buckets per power of
// two, so any reported quantile is within ~1.6% of the true sample. A fixed 30 KiB
// instead of one slot per sample matters at a million deliveries per second.
class histogram {
 public:
  void record(std::int64_t ns) {
    auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
    ++counts_[index(v)];
    ++count_;
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
  }

  void merge(const histogram& o) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
  }

  std::uint64_t count() const { return count_; }
  double max_ms() const { return count_ ? static_cast<double>(max_) / 1e6 : 0.0; }
  double min_ms() const { return count_ ? static_cast<double>(min_) / 1e6 : 0.0; }

  // q in [0, 1]; the value reported is the middle of the bucket holding that rank,
  // clamped to the exact extremes.
  double quantile_ms(double q) const {
    if (count_ == 0) return 0.0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        auto v = std::clamp(midpoint(i), min_, max_);
        return static_cast<double>(v) / 1e6;
      }
    }
    return max_ms();
  }

 private:
  static constexpr int sub_bits = 6;
  static constexpr std::uint64_t sub_count = 1u << sub_bits;
  // Largest index: shift 57 (msb 63) -> (58 << 6) + 63.
  static constexpr std::size_t buckets = (58u << sub_bits) + sub_count;

  static std::size_t index(std::uint64_t v) {
    if (v < sub_count) return static_cast<std::size_t>(v);
    int shift = std::bit_width(v) - 1 - sub_bits;
    auto sub = (v >> shift) - sub_count;
    return (static_cast<std::size_t>(shift + 1) << sub_bits) + static_cast<std::size_t>(sub);
  }

  static std::uint64_t midpoint(std::size_t i) {
    if (i < sub_count) return i;
    auto shift = static_cast<int>(i >> sub_bits) - 1;
    auto sub = static_cast<std::uint64_t>(i & (sub_count - 1));
    auto low = (sub + sub_count) << shift;
    return low + ((std::uint64_t{1} << shift) >> 1);
  }

  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
};

}  // namespace loadgen
