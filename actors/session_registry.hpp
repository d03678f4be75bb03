#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

namespace relay {

/// Knows which live connections each API token opened, so revoking a token ends
/// them at once (not only future requests).
///
///  * `(register_atom, std::string token_id, caf::actor conn)`: tracked until it exits
///  * `(revoke_atom, std::string token_id)`: sends `(revoke_atom)` to each of them
caf::actor spawn_session_registry(caf::actor_system& sys);

}  // namespace relay
