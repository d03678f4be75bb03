#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/fwd.hpp"
#include "actors/halls/fwd.hpp"

namespace relay {

struct hall_directory_params {
  store_writer_actor writer;
  caf::actor readers;
};

/// Finds hall actors by hall id, spawning one from the store on first use (open
/// sessions included, so a restart loses none), and keeps the webhook counters. Its
/// messages: `hall_directory_actor` (actors/halls/fwd.hpp).
hall_directory_actor spawn_hall_directory(caf::actor_system& sys, hall_directory_params params);

}  // namespace relay
