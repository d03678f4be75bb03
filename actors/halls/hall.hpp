#pragma once

#include <caf/actor.hpp>
#include <caf/local_actor.hpp>

#include "actors/halls/messages.hpp"
#include "storage/hall_rows.hpp"

namespace relay {

struct hall_params {
  storage::hall_snapshot snapshot;  // as the store has it: open sessions are recovered
  caf::actor writer;
};

/// One hall: the point of order for its participants' sessions. Every change is
/// decided on the hall's state, committed by the store writer, and only then applied,
/// while the hall holds its other messages (so each decision sees the last commit).
///
///  * `(info_atom, hall_caller)` -> `hall_reply`
///  * `(join_atom, hall_caller, storage::hall_grant_row)` -> `hall_reply`: records who
///    the caller is minting a token for; `HALL_CLOSED` / `HALL_FULL` refuse it
///  * `(close_atom, hall_caller, std::int64_t at_ms)` -> `hall_reply`: ends every open
///    session at `at_ms` and closes the hall (closing a closed hall changes nothing)
///  * `(webhook_atom, livekit_event)` -> `webhook_reply`
/// A caller of another workspace or mode gets `not_found`.
caf::actor spawn_hall(caf::local_actor* parent, hall_params params);

}  // namespace relay
