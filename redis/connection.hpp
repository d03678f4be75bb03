#pragma once

// One hiredis connection that keeps itself connected. Internal to redis/: the client
// holds two of them (commands, subscriber).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "redis/options.hpp"
#include "redis/url.hpp"

struct redisAsyncContext;

namespace relay::redis {

/// Connects to `ep`, SELECTs its database, and when the connection fails or is lost
/// tries again after a delay that doubles from `min_backoff` to `max_backoff`. Every
/// member function and hook runs on the executor.
///
/// It keeps itself alive while it holds a hiredis context, so a context never calls
/// back into a destroyed connection; `stop` frees the context (hiredis then fails every
/// pending command callback with a null reply).
class connection : public std::enable_shared_from_this<connection> {
 public:
  struct hooks {
    /// Connected and the database selected. `after_trouble`: an attempt failed or a
    /// connection was lost since the last `ready`, so the owner may have missed things.
    std::function<void(bool after_trouble)> ready;
    /// A ready connection was lost; hiredis has failed its pending callbacks.
    std::function<void()> lost;
  };

  connection(boost::asio::any_io_executor ex, endpoint ep, const options& opt, std::string name,
             hooks h);
  ~connection();

  void start();
  void stop();
  bool started() const noexcept { return started_; }
  /// The context once ready, else null: commands go only to a ready connection.
  redisAsyncContext* context() const noexcept { return ready_ ? ac_ : nullptr; }

 private:
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_select(redisAsyncContext* ac, void* reply, void* self);

  void resolve();
  void open(const std::string& address);
  void became_ready();
  /// Frees the current context (never from inside a hiredis callback) and retries.
  void drop(const std::string& why);
  /// The context is gone (or never came): reports and schedules the next attempt.
  void retry(const std::string& why);

  boost::asio::any_io_executor ex_;
  endpoint ep_;
  options opt_;
  std::string name_;  // "commands" or "subscriber", for the log
  hooks hooks_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;  // the connect deadline, then the backoff
  redisAsyncContext* ac_ = nullptr;
  std::shared_ptr<connection> keep_;  // self, while ac_ is set
  std::uint64_t attempt_ = 0;         // tells a stale timer from the current one
  int failures_ = 0;                  // in a row: the backoff's exponent
  bool started_ = false;
  bool stopped_ = false;
  bool ready_ = false;
};

}  // namespace relay::redis
