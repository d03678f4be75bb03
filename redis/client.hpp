#pragma once

// The Redis client of cluster mode: commands, pipelined publishes and subscriptions,
// reconnecting by itself. No CAF here: it runs on an Asio executor, and actors talk to
// it through its thread-safe calls and hear back through callbacks they turn into
// messages.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "redis/options.hpp"
#include "redis/reply.hpp"
#include "redis/url.hpp"

namespace relay::redis {

/// The client's two connections: subscribed connections can only (un)subscribe.
enum class link : std::uint8_t { commands, subscriber };

/// What the owner hears besides command replies. Both run on the client's executor.
struct handlers {
  /// A message on a subscribed channel; the views are valid during the call only.
  std::function<void(std::string_view channel, std::string_view payload)> message;
  /// A connection is ready again after a failed attempt or a lost connection (not
  /// after a first attempt that succeeded). For the subscriber it fires once every
  /// channel is subscribed again. Redis pub/sub keeps nothing for absent subscribers:
  /// whatever was published meanwhile is lost, and the owner recovers it elsewhere.
  std::function<void(link)> reconnected;
};

using command_callback = std::function<void(result)>;

/// A Redis client over hiredis: a command connection (commands and publishes) and,
/// from the first `subscribe`, a subscriber connection. Both reconnect with capped
/// exponential backoff (`options`); the subscriber subscribes again to every channel.
///
/// Thread safety: every member function may be called from any thread. The work runs
/// on the executor given at construction, and every callback (command replies,
/// `handlers`) is called there; with a strand or a one-thread io_context they never
/// overlap. Calls from one thread take effect in the order they were made.
///
/// Lifetime: `stop()` (or the destructor) closes both connections; commands still
/// waiting fail with `failure_kind::stopped` or `disconnected`, on the executor. Run
/// the executor until then before destroying it.
class client {
 public:
  client(boost::asio::any_io_executor ex, endpoint ep, handlers h = {}, options opt = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Opens the command connection (and the subscriber's, when `subscribe` came first).
  void start();
  /// Closes everything; further calls fail or do nothing. Idempotent.
  void stop();

  /// Sends one command, binary-safe (`args[0]` is its name). `done` gets the reply, or a
  /// failure: a Redis error reply, `disconnected` at once when the command connection
  /// is not ready, `timeout` after `timeout` (0: `options::command_timeout`).
  void command(std::vector<std::string> args, command_callback done,
               std::chrono::milliseconds timeout = {});

  /// PUBLISHes without waiting: publishes made before the executor gets to them go out
  /// together, in one write, in the order made. Dropped (and counted in
  /// relay_redis_publish_drops_total) when the command connection is not ready.
  void publish(std::string channel, std::string payload);

  /// Delivers the channel's messages to `handlers::message` until `unsubscribe`.
  /// Subscribing twice is subscribing once.
  void subscribe(std::string channel);
  void unsubscribe(std::string channel);

  /// Whether the command connection is ready (commands would be sent now).
  bool connected() const noexcept;
  /// Whether the subscriber connection is up and holds every channel subscribed before it
  /// (re)connected; a later `subscribe` holds once Redis has handled it.
  bool subscribed() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace relay::redis
