#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "api/request.hpp"
#include "config/options.hpp"

namespace relay {

/// The network edge: accepts TCP connections, serves HTTP, and turns upgrades into
/// WebSocket or SSE sessions. Owns the I/O threads; knows no business rules.
class server {
 public:
  server(caf::actor_system& sys, const config& cfg, api_context ctx);
  ~server();

  /// Binds the listening socket; returns the bound port (useful with port 0).
  std::uint16_t listen(const std::string& host, std::uint16_t port);

  /// The context every request is served with; adjust it between `listen` and `run`.
  api_context& api();

  /// Runs the I/O threads until `stop()`; blocks the caller.
  void run();

  /// Thread-safe: stops accepting now and ends `run()` after `grace`, so sessions
  /// can still write their close frames.
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace relay
