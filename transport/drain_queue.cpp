#include "transport/drain_queue.hpp"

#include <boost/asio/post.hpp>

#include "transport/stream_session.hpp"

namespace relay {

drain_queue::drain_queue(boost::asio::execution_context& ctx)
    : boost::asio::execution_context::service(ctx),
      ioc_(static_cast<boost::asio::io_context&>(ctx)) {}

void drain_queue::schedule(std::shared_ptr<stream_session> s) {
  bool first;
  {
    std::lock_guard lock{mu_};
    first = ready_.empty();
    ready_.push_back(std::move(s));
  }
  if (first) boost::asio::post(ioc_, [this] { run(); });
}

void drain_queue::deliver(frame_ptr f, std::shared_ptr<const std::vector<sink_ptr>> to) {
  bool first;
  {
    std::lock_guard lock{mu_};
    first = deliveries_.empty();
    deliveries_.push_back({std::move(f), std::move(to)});
  }
  if (first) boost::asio::post(ioc_, [this] { run_deliveries(); });
}

void drain_queue::run_deliveries() {
  {
    std::lock_guard lock{mu_};
    delivering_.swap(deliveries_);
  }
  // A channel's broadcasts share one recipient list until its subscribers change, so
  // consecutive ones with the same list go to each recipient as one batch.
  for (std::size_t i = 0; i < delivering_.size();) {
    auto& to = delivering_[i].to;
    frames_.clear();
    for (; i < delivering_.size() && delivering_[i].to == to; ++i)
      frames_.push_back(std::move(delivering_[i].frame));
    for (auto& s : *to) static_cast<stream_session&>(*s).push_here(frames_);
  }
  frames_.clear();
  delivering_.clear();
}

void drain_queue::run() {
  {
    std::lock_guard lock{mu_};
    running_.swap(ready_);
  }
  for (auto& s : running_) s->drain();
  running_.clear();
}

void drain_queue::shutdown() {
  // Sessions hold sockets of this context: release them while its reactor still runs.
  std::lock_guard lock{mu_};
  ready_.clear();
  running_.clear();
  deliveries_.clear();
  delivering_.clear();
}

}  // namespace relay
