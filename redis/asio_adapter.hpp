#pragma once

// hiredis 0.14 ships event-loop adapters for libevent, libev, ae and others, none for
// Asio: this is Relay's. Internal to redis/.

#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

struct redisAsyncContext;

namespace relay::redis {

/// Drives one `redisAsyncContext` from an Asio executor. hiredis says through its `ev`
/// hooks when it wants to hear that its socket is readable or writable; each wish
/// becomes an `async_wait` on the socket, and its completion calls hiredis on `ex`.
///
/// It owns itself from `attach` until hiredis frees the context: the cleanup hook then
/// releases the socket (hiredis closes it) and forgets the context. A wait that
/// completes after that finds no context and does nothing, so no handler ever touches
/// a freed context.
class asio_adapter : public std::enable_shared_from_this<asio_adapter> {
 public:
  /// Hooks an adapter into `ac`. Call it before `redisAsyncSetConnectCallback`, which
  /// asks for the first write event. False when the socket cannot be watched; `ac` is
  /// then untouched.
  static bool attach(const boost::asio::any_io_executor& ex, redisAsyncContext* ac);

  asio_adapter(const boost::asio::any_io_executor& ex, redisAsyncContext* ac);

 private:
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);

  void arm_read();
  void arm_write();

  redisAsyncContext* ac_;
  boost::asio::posix::stream_descriptor socket_;
  std::shared_ptr<asio_adapter> self_;  // until cleanup
  bool want_read_ = false;
  bool want_write_ = false;
  bool reading_ = false;  // a read wait is pending
  bool writing_ = false;  // a write wait is pending
};

}  // namespace relay::redis
