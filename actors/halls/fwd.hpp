#pragma once

// The halls' interfaces (docs/halls.md): the hall directory and one hall. The REST
// handlers and the webhook receiver hold these handles, so the compiler checks every
// message they send and every reply they expect.

#include <cstdint>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/halls/messages.hpp"
#include "actors/messages.hpp"

namespace relay {

/// One hall (actors/halls/hall.hpp). A caller of another workspace or mode gets
/// `not_found`.
using hall_actor = caf::typed_actor<
    caf::replies_to<info_atom, hall_caller>::with<hall_reply>,
    // Records who the caller is minting a token for; HALL_CLOSED / HALL_FULL refuse it.
    caf::replies_to<join_atom, hall_caller, storage::hall_grant_row>::with<hall_reply>,
    // (caller, at_ms): ends every open session at `at_ms` and closes the hall (closing a
    // closed hall changes nothing).
    caf::replies_to<close_atom, hall_caller, std::int64_t>::with<hall_reply>,
    caf::replies_to<webhook_atom, livekit_event>::with<webhook_reply>>;

/// Finds halls by id (actors/halls/directory.hpp).
using hall_directory_actor = caf::typed_actor<
    // An invalid handle: no such hall; an error: the store failed (answer 503).
    caf::replies_to<hall_atom, std::string>::with<hall_actor>,
    // A webhook said LiveKit dropped this many.
    caf::reacts_to<dropped_atom, std::int64_t>, caf::replies_to<metrics_atom>::with<hall_metrics>>;

}  // namespace relay
