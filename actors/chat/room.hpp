#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "storage/rows.hpp"

namespace relay {

struct config;

struct room_params {
  storage::room_row row;
  caf::actor writer;
  caf::actor readers;
  int ring_messages = 256;
  int sync_messages = 20;
  std::int64_t page_cache_bytes = 0;  // each channel's cache of resume pages
  caf::actor agent_hub;  // @mentions of agent-bound bots become events (may be invalid)
};

/// A room: owns its channel actors (the room-wide thread included) and the set of
/// connected clients, and routes posts, edits and deletes to the right channel.
///
///  * `(join_atom, subscription, caf::actor conn)` -> `int` channels that will each
///    send `conn` a snapshot
///  * `(leave_atom, uint64_t sink_id)`
///  * `(post_atom, post_request)` -> `write_outcome`
///  * `(edit_atom, edit_request)`, `(delete_atom, delete_request)` -> `write_outcome`
///  * `(create_atom, storage::channel_row)` -> `write_outcome` (`channel` set)
///  * `(info_atom)` -> `room_info`
///  * `(typing_atom, std::string channel_id, principal)` -> `bool` (false: the caller
///    sees no such channel)
///  * `(bot_atom, principal, storage::bot_row)` -> `storage::result<storage::bot_row>`
///    (owner only; the row names login, name, agent id and prefix)
///  * `(bot_atom, list_atom, principal)` -> `std::vector<storage::bot_row>`
///  * `(mention_atom, storage::message_row)` from a channel: a committed message that
///    may @mention an agent-bound bot
caf::actor spawn_room(caf::local_actor* parent, room_params params);

}  // namespace relay
