// A minimal asynchronous WebSocket client connection (Beast over a plain TCP socket).
// Thousands of these share one io_context; nothing here blocks or spawns threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

namespace loadgen {

struct target {
  std::string host;  // an IP literal: resolving 10,000 times would only add noise
  std::uint16_t port = 0;
  std::string path;  // e.g. /api/ws/rooms/lobby
  // Local address to bind before connecting (empty: the kernel picks 127.0.0.1). Each
  // source address has its own ~28,000 ephemeral ports, so 50,000 connections to one
  // server port need more than one.
  std::string source = {};
  int rcvbuf = 0;  // SO_RCVBUF before connecting (0: the kernel's default, autotuned)
};

// What a connection reports. Every call runs on the connection's io_context thread, so
// implementations need no locking for their per-connection state.
class ws_events {
 public:
  virtual void on_open() {}
  virtual void on_text(std::string_view frame) = 0;
  // At most once, and never after abort(). `code` is the peer's WebSocket close code,
  // or 0 when the TCP connection or the handshake failed.
  virtual void on_closed(int code, std::string_view why) = 0;
  // After each frame was handed to the socket: a sender that keeps its own queue short
  // (the agents mode) tops it up from here.
  virtual void on_sent() {}

 protected:
  ~ws_events() = default;
};

class ws_conn {
 public:
  virtual ~ws_conn() = default;
  // Queues a text frame; frames go out in order, one write at a time.
  virtual void send(std::string text) = 0;
  // Frames queued but not yet written: a growing number means the server (or the
  // socket buffer) is not draining what we offer.
  virtual std::size_t queued() const = 0;
  // Closes the socket at once (RST, no close handshake) and silences the callbacks.
  virtual void abort() = 0;
  // Stops reading (no further async_read is started: the peer's frames pile up in the
  // kernel buffers and then in the peer's queue, like a client that stalls) and
  // resumes. Call both on the connection's io_context thread.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
};

// Starts connect + handshake (with `Authorization: Bearer <token>`) and then a read
// loop. `events` must outlive the connection's pending operations, i.e. stay alive
// until the io_context has stopped running.
std::shared_ptr<ws_conn> connect_ws(boost::asio::io_context& ioc, const target& t,
                                    const std::string& token, ws_events& events);

}  // namespace loadgen
