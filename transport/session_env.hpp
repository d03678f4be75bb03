#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <caf/actor_system.hpp>

#include "api/request.hpp"
#include "config/options.hpp"
#include "transport/web_root.hpp"

namespace relay {

/// What every session needs from the process; outlives all sessions.
struct session_env {
  caf::actor_system* sys = nullptr;
  const config* cfg = nullptr;
  api_context api;
  std::shared_ptr<web::web_root> web;  // the browser client's files, set before run()
  std::atomic<std::uint64_t> next_sink_id{1};
};

}  // namespace relay
