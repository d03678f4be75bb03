#pragma once

// Process-wide metrics, rendered at /metrics in the Prometheus text format
// (docs/metrics.md). Every update is one relaxed atomic operation on a fixed object,
// so the hot paths (a frame written, a token relayed) can afford them.

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace relay::metrics {

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class gauge {
 public:
  void add(std::int64_t n) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

/// Cumulative buckets with fixed upper bounds (`le`), plus count and sum.
class histogram {
 public:
  histogram(std::initializer_list<double> bounds);
  void observe(double v) noexcept;

  /// Observations gathered locally and added in one go when it goes out of scope: a
  /// batch of frames costs a few atomic operations, not three per frame.
  class tally {
   public:
    explicit tally(histogram& h) noexcept : h_(h) {}
    ~tally();
    tally(const tally&) = delete;
    tally& operator=(const tally&) = delete;
    void add(double v) noexcept;

   private:
    histogram& h_;
    std::array<std::uint32_t, 32> counts_{};
    std::uint64_t n_ = 0;
    double sum_ = 0;
  };

  const std::vector<double>& bounds() const noexcept { return bounds_; }
  /// Non-cumulative count of bucket i (i == bounds().size() is +Inf).
  std::uint64_t bucket(std::size_t i) const noexcept {
    return counts_[i].load(std::memory_order_relaxed);
  }
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

/// Connection classes, each with its own queue limits and policy.
enum class conn_class : std::uint8_t { ws, sse, agent, app };
inline constexpr std::array<const char*, 4> conn_class_names{"ws", "sse", "agent", "app"};

/// How an agent event ended.
enum class outcome : std::uint8_t { reply, error, timeout, offline, cancelled, app_gone };
inline constexpr std::array<const char*, 6> outcome_names{"reply",   "agent_error", "timeout",
                                                          "offline", "cancelled",   "app_gone"};

/// Where a page of a resume came from: the channel's ring of recent messages, its page
/// cache, a store read another resume had already started, or a store read of its own.
enum class page_source : std::uint8_t { ring, cache, shared, store };
inline constexpr std::array<const char*, 4> page_source_names{"ring", "cache", "shared", "store"};

struct relay_metrics {
  std::array<gauge, 4> connections;   // open, by class
  std::array<gauge, 4> queued_bytes;  // bytes waiting in outbound queues, by class
  std::array<counter, 4> slow_consumer_closes;
  histogram queue_frames{1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384};
  histogram queue_bytes{256, 1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20, 16 << 20};
  counter dropped_ephemeral;
  counter dropped_coalesced;
  counter deliveries;  // frames written to sockets
  histogram delivery_seconds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                             0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
  histogram ack_seconds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  histogram store_batch{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  histogram store_commit_seconds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                 0.01,   0.025,   0.05,   0.1,   0.25,   1};
  std::array<counter, 6> agent_events;  // by outcome
  counter agent_tokens;                 // tokens relayed to apps
  // How long a probe waits in a room actor's mailbox, each room every second.
  histogram room_mailbox_wait{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
  // Messages queued in a room actor's mailbox behind that probe.
  histogram room_mailbox{0, 1, 4, 16, 64, 256, 1024, 4096, 16384};
  std::array<counter, 4> resume_pages;       // by page_source
  counter livekit_webhooks_reporting_drops;  // LiveKit webhooks with numDropped > 0
  counter livekit_webhooks_dropped;          // the sum of their numDropped
  counter livekit_webhooks_refused;          // webhooks refused for their signature
};

/// The process's metrics.
relay_metrics& get();

/// Everything in the Prometheus text exposition format (version 0.0.4).
std::string render(const relay_metrics& m);

}  // namespace relay::metrics
