#pragma once

#include <atomic>
#include <cstdint>

#include <caf/actor_system.hpp>

#include "api/request.hpp"
#include "config/options.hpp"

namespace relay {

/// What every session needs from the process; outlives all sessions.
struct session_env {
  caf::actor_system* sys = nullptr;
  const config* cfg = nullptr;
  api_context api;
  std::atomic<std::uint64_t> next_sink_id{1};
};

}  // namespace relay
