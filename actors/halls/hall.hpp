#pragma once

#include <caf/actor.hpp>
#include <caf/local_actor.hpp>

#include "actors/fwd.hpp"
#include "actors/halls/fwd.hpp"
#include "storage/hall_rows.hpp"

namespace relay {

struct hall_params {
  storage::hall_snapshot snapshot;  // as the store has it: open sessions are recovered
  store_writer_actor writer;
};

/// One hall: the point of order for its participants' sessions. Every change is
/// decided on the hall's state, committed by the store writer, and only then applied,
/// while the hall holds its other messages (so each decision sees the last commit). Its
/// messages: `hall_actor` (actors/halls/fwd.hpp).
hall_actor spawn_hall(caf::local_actor* parent, hall_params params);

}  // namespace relay
