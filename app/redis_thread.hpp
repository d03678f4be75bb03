#pragma once

#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "redis/client.hpp"

namespace relay {

/// The server's Redis client (--redis-url) and the one I/O thread it runs on, apart
/// from the HTTP shards so a slow Redis never delays a client's socket. Without an
/// endpoint it holds nothing and starts no thread.
class redis_thread {
 public:
  explicit redis_thread(const std::optional<redis::endpoint>& ep);
  /// Stops the client (commands still waiting fail), then joins the thread. Every
  /// other holder of the client must be done with it before: it posts to this thread.
  ~redis_thread();
  redis_thread(const redis_thread&) = delete;
  redis_thread& operator=(const redis_thread&) = delete;

  /// The thread's executor, for another client of the same server (the cluster bridge).
  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }
  /// Null without an endpoint.
  const std::shared_ptr<redis::client>& client() const noexcept { return client_; }

 private:
  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<redis::client> client_;
  std::thread thread_;
};

}  // namespace relay
