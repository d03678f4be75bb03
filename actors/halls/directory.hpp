#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/fwd.hpp"
#include "actors/halls/fwd.hpp"

namespace relay {

struct hall_directory_params {
  store_writer_actor writer;
  caf::actor readers;
  // Cluster mode: other nodes change halls too (a LiveKit webhook lands on any node), so
  // no hall is kept between lookups.
  bool shared_store = false;
};

/// Finds hall actors by hall id, spawning one from the store on first use (open
/// sessions included, so a restart loses none), and keeps the webhook counters. Its
/// messages: `hall_directory_actor` (actors/halls/fwd.hpp).
///
/// With `shared_store` every lookup reads the hall again (lookups at the same moment
/// still share one read and one actor), so a node decides on what the store holds, not on
/// what it saw last; the store applies each webhook id once whichever node gets it.
hall_directory_actor spawn_hall_directory(caf::actor_system& sys, hall_directory_params params);

}  // namespace relay
