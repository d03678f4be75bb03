#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/agents/fwd.hpp"
#include "actors/chat/fwd.hpp"
#include "actors/fwd.hpp"
#include "storage/rows.hpp"

namespace relay {

struct config;

struct room_params {
  storage::room_row row;
  store_writer_actor writer;
  caf::actor readers;
  int ring_messages = 256;
  int sync_messages = 20;
  std::int64_t page_cache_bytes = 0;  // each channel's cache of resume pages
  agents::hub_actor agent_hub;  // @mentions of agent-bound bots become events (may be invalid)
  archiver_actor archiver;      // edits and deletes of archived messages (may be invalid)
  cluster::link_ptr cluster;    // cluster mode: the other nodes (null on one node)
  // Told when another node renamed the room, so lookups find it by its new slug.
  room_directory_actor directory;
  // A heartbeat keeps its user online this long (--presence-ttl-seconds).
  std::chrono::seconds presence_ttl{75};
  caf::actor sessions;  // the session registry: new notifications reach the user's sockets
  std::size_t max_content_chars = 4000;  // an agent's reply posted here is cut to this
};

/// A room: owns its channel actors (the room-wide thread included) and the set of
/// connected clients, and routes posts, edits and deletes to the right channel. What it
/// accepts and answers is `room_actor` (actors/chat/fwd.hpp). Every access rule is
/// checked here again, whatever the caller checked before.
room_actor spawn_room(caf::local_actor* parent, room_params params);

}  // namespace relay
