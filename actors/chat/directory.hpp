#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/agents/fwd.hpp"
#include "actors/chat/fwd.hpp"
#include "actors/fwd.hpp"

namespace relay {

struct directory_params {
  store_writer_actor writer;
  caf::actor readers;
  int ring_messages = 256;
  int sync_messages = 20;
  std::int64_t page_cache_bytes = 0;      // each channel's cache of resume pages
  agents::hub_actor agent_hub;            // for rooms' agent-bound bots; may be invalid
  archiver_actor archiver;                // for rooms' edits of archived messages; may be invalid
  cluster::link_ptr cluster;              // cluster mode: the other nodes (null on one node)
  std::chrono::seconds presence_ttl{75};  // for rooms' presence (--presence-ttl-seconds)
  caf::actor sessions;                    // the session registry, for rooms' notifications
  std::size_t max_content_chars = 4000;   // what a bot's reply is cut to (--max-content-chars)
};

/// Maps room slugs to room actors, spawning a room on first use (one store read per
/// slug; concurrent lookups wait on the same read). Its messages: `room_directory_actor`
/// (actors/chat/fwd.hpp).
room_directory_actor spawn_directory(caf::actor_system& sys, directory_params params);

}  // namespace relay
