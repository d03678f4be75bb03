#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/http_exchange.hpp"

namespace relay {

struct api_context {
  caf::actor directory;
  caf::actor writer;
  caf::actor readers;
  caf::actor registry;
  std::size_t max_content_chars = 4000;
};

/// Serves one HTTP request of the chat API (docs/api.md): authenticates it, applies
/// the rules, asks the room or the store, and answers through the responder. Lives
/// for one request; room streams are handed to the responder as `stream(...)`.
void spawn_api_request(caf::actor_system& sys, const api_context& ctx, http_request req,
                       responder_ptr out);

}  // namespace relay
