#include "app/memory_return.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include <boost/asio/steady_timer.hpp>

#include "core/metrics.hpp"

namespace relay {

namespace {

// Closed connections since the last trim that make one worth its cost (it walks the
// heap): a few MB of sessions.
constexpr std::int64_t trim_after_closes = 1000;

std::int64_t open_connections() {
  std::int64_t n = 0;
  for (auto& g : metrics::get().connections) n += g.value();
  return n;
}

struct watcher : std::enable_shared_from_this<watcher> {
  explicit watcher(boost::asio::io_context& ioc) : timer(ioc) {}

  void arm() {
    timer.expires_after(std::chrono::seconds(2));
    timer.async_wait([self = shared_from_this()](auto ec) {
      if (ec) return;
      auto now = open_connections();
      self->peak = std::max(self->peak, now);
      if (self->peak - now >= trim_after_closes) {
        malloc_trim(0);
        self->peak = now;
      }
      self->arm();
    });
  }

  boost::asio::steady_timer timer;
  std::int64_t peak = 0;
};

}  // namespace

void watch_memory_return(boost::asio::io_context& ioc) {
  std::make_shared<watcher>(ioc)->arm();
}

}  // namespace relay
