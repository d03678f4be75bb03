#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "actors/sink.hpp"
#include "config/options.hpp"
#include "core/metrics.hpp"

namespace relay {

/// One queued outbound item: a shared frame from an actor, or bytes the session
/// made itself (control frames, SSE pings).
struct out_item {
  frame_ptr frame;
  std::string raw;
  // The first-frame sync (with a resume: every message the client missed) is outside
  // the caps: it is sized by the backlog, not by a slow reader, and counting it would
  // close a resuming client again (4008) under the live frames queued behind it.
  bool uncapped = false;
  std::size_t size() const noexcept { return frame ? frame->json.size() + 16 : raw.size(); }
};

/// What a connection does when its client reads slower than frames arrive
/// (docs/backpressure.md).
enum class overflow_policy {
  drop_ephemeral,  // past the high-water mark shed typing/presence, then close at the cap
  disconnect,      // keep everything, close at the cap
  block,           // past the high-water mark stop reading the producer (agent streams)
};

/// A connection class's outbound queue: caps and policy. The high-water mark is half
/// of either cap.
struct queue_limits {
  std::size_t bytes = 1 << 20;
  std::size_t frames = 8192;
  overflow_policy policy = overflow_policy::drop_ephemeral;
  /// How many times the caps a client that is still reading may queue in a burst
  /// (out_queue_burst; 1: the caps are hard).
  std::size_t burst = 4;
};

/// The limits of a connection class, from the configuration.
queue_limits limits_for(const config& cfg, metrics::conn_class c);

/// A session's bounded outbound queue. Not thread-safe: lives on the session's I/O thread.
class out_queue {
 public:
  enum class verdict { queued, dropped, coalesced, overflow };

  explicit out_queue(queue_limits limits) : limits_(limits) {}

  /// Past the high-water mark, in order: an ephemeral frame is shed (drop_ephemeral),
  /// a frame with a coalesce key replaces a queued one with the same key (not one of
  /// the first `in_flight` items, which are being written); past a cap the client
  /// cannot keep up and must be disconnected. An empty queue takes any one item, so a
  /// frame larger than the cap (a big resume sync) still goes out.
  ///
  /// `stretch` multiplies the caps (not the high-water mark): for a client that is
  /// reading, caught in a burst the server produced faster than it can write.
  verdict push(out_item item, std::size_t in_flight = 0, std::size_t stretch = 1);

  void pop_front(std::size_t n) {
    for (std::size_t i = 0; i < n && !items_.empty(); ++i) {
      forget(items_.front());
      items_.pop_front();
    }
  }

  /// Queues past the caps; only for the close frame that ends a connection.
  void force_push(out_item item) {
    bytes_ += item.size();
    items_.push_back(std::move(item));
  }

  /// Keeps the first `n` items (those already being written), drops the rest.
  void truncate(std::size_t n) {
    while (items_.size() > n) {
      forget(items_.back());
      items_.pop_back();
    }
  }

  bool above_high_water() const noexcept {
    return bytes_ > limits_.bytes / 2 || items_.size() > limits_.frames / 2;
  }
  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }  // what the caps count
  std::size_t total_bytes() const noexcept { return bytes_ + uncapped_bytes_; }  // memory
  const std::deque<out_item>& items() const noexcept { return items_; }
  const queue_limits& limits() const noexcept { return limits_; }

 private:
  void forget(const out_item& item) noexcept {
    (item.uncapped ? uncapped_bytes_ : bytes_) -= item.size();
  }

  queue_limits limits_;
  std::size_t bytes_ = 0;
  std::size_t uncapped_bytes_ = 0;
  std::deque<out_item> items_;
};

}  // namespace relay
