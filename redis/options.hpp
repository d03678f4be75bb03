#pragma once

#include <chrono>
#include <cstddef>

namespace relay::redis {

/// How a client connects, retries and bounds what it buffers. The defaults suit a Redis
/// on the same network.
struct options {
  /// Reconnect delays double from `min_backoff` up to `max_backoff` while Redis stays away.
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  /// From starting a connection to Redis answering SELECT.
  std::chrono::milliseconds connect_timeout{2000};
  /// A command's deadline when the caller names none.
  std::chrono::milliseconds command_timeout{5000};
  /// Publishes written but not yet answered; past it publishes are dropped (and counted)
  /// instead of growing the output buffer without bound when Redis falls behind.
  std::size_t max_publishes_in_flight = 100'000;
};

}  // namespace relay::redis
