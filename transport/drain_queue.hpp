#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>

#include "actors/sink.hpp"

namespace relay {

class stream_session;

/// The sessions of one I/O thread that have frames waiting in their inboxes. A
/// broadcast to a thousand sockets then costs one handler posted to the thread, not a
/// thousand (each an allocation, a scheduler lock and an executor dispatch on the
/// actor's thread, and a wake-up on the I/O thread).
///
/// It is also the thread's fanout_lane: a broadcast's frame comes as one hand-over for
/// all the thread's recipients. Broadcasts that pile up while the thread is busy go out
/// together: each recipient gets them in one write, so a thread that falls behind
/// spends less per frame and catches up instead of staying behind.
///
/// One per io_context (an Asio service); `schedule` and `deliver` are thread-safe.
class drain_queue : public boost::asio::execution_context::service, public fanout_lane {
 public:
  using key_type = drain_queue;
  static inline boost::asio::execution_context::id id;

  explicit drain_queue(boost::asio::execution_context& ctx);

  /// Queues `s` to have `drain()` called on its I/O thread; the caller makes sure a
  /// session is queued at most once until it drains.
  void schedule(std::shared_ptr<stream_session> s);

  /// `to` holds sessions of this thread only.
  void deliver(frame_ptr f, std::shared_ptr<const std::vector<sink_ptr>> to) override;

 private:
  struct delivery {
    frame_ptr frame;
    std::shared_ptr<const std::vector<sink_ptr>> to;
  };

  void shutdown() override;
  void run();
  void run_deliveries();

  boost::asio::io_context& ioc_;
  std::mutex mu_;
  std::vector<std::shared_ptr<stream_session>> ready_;
  // Swapped with ready_ on each run, so neither vector reallocates once warm.
  std::vector<std::shared_ptr<stream_session>> running_;
  std::vector<delivery> deliveries_;  // likewise swapped with delivering_
  std::vector<delivery> delivering_;
  std::vector<frame_ptr> frames_;  // one recipient list's run of frames
};

}  // namespace relay
