#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "auth/http_client.hpp"

namespace relay {

/// The outbound webhook dispatcher's requests in flight: an io_context on a thread of its
/// own, so the dispatcher actor never blocks on a receiver and starts each request as
/// soon as a slot is free. Thread-safe: `start` and `stop` may be called from any thread.
class webhook_pool {
 public:
  webhook_pool();
  ~webhook_pool();
  webhook_pool(const webhook_pool&) = delete;
  webhook_pool& operator=(const webhook_pool&) = delete;

  /// Sends `request` (auth::http_fetch_async_vetted); `done` runs on the pool's thread,
  /// exactly once, unless the pool is stopped first.
  void start(auth::http_request request, std::chrono::milliseconds timeout,
             auth::http_fetch_limits limits, std::function<void(auth::http_result)> done);

  /// Cancels every request in flight (their `done` still runs, with an error), waits for
  /// them at most `grace` and joins the thread. A black-holed receiver never holds it up.
  /// Idempotent; the destructor calls it.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(1));

 private:
  // Touched only on the pool's thread.
  std::unordered_map<std::uint64_t, std::shared_ptr<auth::http_pending>> live_;
  std::uint64_t next_ = 0;
  bool stopping_ = false;
  // Destroyed before live_: an io_context that is destroyed with requests still running
  // (only after `grace`) frees their coroutines, which hold what they use.
  boost::asio::io_context ioc_{1};
  boost::asio::steady_timer grace_timer_{ioc_};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace relay
