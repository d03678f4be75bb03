#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

namespace relay {

/// Knows which live connections each token opened, so revoking a token (or logging
/// out) ends them at once, and how many each user holds, to cap them.
///
///  * `(register_atom, std::string token_id, std::string user_id, caf::actor conn)` ->
///    `bool`: false when the user already holds `max_per_user` connections; else
///    tracked until `conn` exits
///  * `(count_atom, std::string user_id)` -> `int` open connections
///  * `(revoke_atom, std::string token_id)`: sends `(revoke_atom)` to each of them
caf::actor spawn_session_registry(caf::actor_system& sys, std::size_t max_per_user = 32);

}  // namespace relay
