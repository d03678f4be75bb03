#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "actors/sink.hpp"

namespace relay {

/// One queued outbound item: a shared frame from an actor, or bytes the session
/// made itself (control frames, SSE pings).
struct out_item {
  frame_ptr frame;
  std::string raw;
  std::size_t size() const noexcept { return frame ? frame->json.size() + 16 : raw.size(); }
};

/// A session's bounded outbound queue. Not thread-safe: lives on the session's strand.
class out_queue {
 public:
  enum class verdict { queued, dropped, overflow };

  out_queue(std::size_t max_bytes, std::size_t max_frames)
      : max_bytes_(max_bytes), max_frames_(max_frames) {}

  /// Ephemeral frames are shed once the queue is half full; anything past a cap
  /// means the client cannot keep up and must be disconnected. An empty queue takes
  /// any one item, so a frame larger than the cap (a big resume sync) still goes out.
  verdict push(out_item item) {
    auto n = item.size();
    if (item.frame && item.frame->ephemeral && bytes_ + n > max_bytes_ / 2) return verdict::dropped;
    if (!items_.empty() && (bytes_ + n > max_bytes_ || items_.size() + 1 > max_frames_))
      return verdict::overflow;
    bytes_ += n;
    items_.push_back(std::move(item));
    return verdict::queued;
  }

  void pop_front(std::size_t n) {
    for (std::size_t i = 0; i < n && !items_.empty(); ++i) {
      bytes_ -= items_.front().size();
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
      bytes_ -= items_.back().size();
      items_.pop_back();
    }
  }

  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  const std::deque<out_item>& items() const noexcept { return items_; }

 private:
  std::size_t max_bytes_;
  std::size_t max_frames_;
  std::size_t bytes_ = 0;
  std::deque<out_item> items_;
};

}  // namespace relay
