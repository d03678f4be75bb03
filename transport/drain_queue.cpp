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
  boost::asio::post(ioc_, [f = std::move(f), to = std::move(to)] {
    for (auto& s : *to) static_cast<stream_session&>(*s).push_here(f);
  });
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
}

}  // namespace relay
