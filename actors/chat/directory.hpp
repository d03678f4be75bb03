#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

namespace relay {

struct directory_params {
  caf::actor writer;
  caf::actor readers;
  int ring_messages = 256;
  int sync_messages = 20;
  std::int64_t page_cache_bytes = 0;  // each channel's cache of resume pages
  caf::actor agent_hub;               // for rooms' agent-bound bots; may be invalid
};

/// Maps room slugs to room actors, spawning a room on first use.
///
///  * `(room_atom, std::string slug)` -> `caf::actor` (invalid handle: no such room)
///  * `(update_atom, std::string slug, principal, storage::room_patch)` ->
///    `storage::result<storage::room_row>`: the room applies it (owner only) and the
///    directory re-keys a renamed room before serving another lookup
caf::actor spawn_directory(caf::actor_system& sys, directory_params params);

}  // namespace relay
