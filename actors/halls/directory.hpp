#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/halls/messages.hpp"

namespace relay {

struct hall_directory_params {
  caf::actor writer;
  caf::actor readers;
};

/// Finds hall actors by hall id, spawning one from the store on first use (open
/// sessions included, so a restart loses none), and keeps the webhook counters.
///
///  * `(hall_atom, std::string hall_id)` -> `caf::actor` (invalid handle: no such hall)
///  * `(dropped_atom, std::int64_t num_dropped)`: a webhook said LiveKit dropped some
///  * `(metrics_atom)` -> `hall_metrics`
caf::actor spawn_hall_directory(caf::actor_system& sys, hall_directory_params params);

}  // namespace relay
