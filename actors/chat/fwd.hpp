#pragma once

// The chat actors' interfaces: what the room directory, a room and a channel accept and
// answer. A caller in another module (api/, transport/, app/) holds one of these handles,
// so the compiler checks every message it sends and every reply it expects; an actor's
// behaviour is checked against the same list, so a message nobody handles does not compile.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/cluster/fwd.hpp"
#include "actors/messages.hpp"

namespace relay {

// -- channel ------------------------------------------------------------------------

/// One channel of a room (or the room-wide thread): the point of order for its
/// messages (actors/chat/channel.hpp).
using channel_actor = caf::typed_actor<
    // A client joins: the sink is added and `conn` is sent `(snapshot_atom,
    // channel_snapshot)` (the tail, or what its resume missed).
    caf::reacts_to<subscribe_atom, subscription, caf::actor>,
    // A client already in the room gets a channel it may now see: no snapshot.
    caf::reacts_to<subscribe_atom, subscription>, caf::reacts_to<unsub_atom, std::uint64_t>,
    // The next page of a resume for sink `id` after seq `after`.
    caf::replies_to<catchup_atom, std::uint64_t, std::int64_t, resume_page>::with<catchup_page>,
    // From the store writer: inserted, not yet committed (fanned out before the commit).
    caf::reacts_to<applied_atom, storage::message_row>,
    // Answered once the writer's batch has committed (or rolled back).
    caf::replies_to<post_atom, post_request>::with<write_outcome>,
    // A committed edit or delete to mirror in the ring and broadcast.
    caf::reacts_to<edit_atom, storage::message_row>,
    caf::reacts_to<delete_atom, storage::message_row>,
    // A committed reaction: the message with its reactions now, and the event to broadcast.
    caf::reacts_to<react_atom, storage::message_row, frame_ptr>,
    // A committed thread change: the root with its counts now, and thread_updated.
    caf::reacts_to<thread_atom, storage::message_row, frame_ptr>,
    // Ephemeral: a typing event for everyone else, a frame for every subscriber.
    caf::reacts_to<typing_atom, principal>, caf::reacts_to<broadcast_atom, frame_ptr>,
    // Cluster mode: a message another node committed; catching up from the store after
    // events may have been lost.
    caf::reacts_to<cluster_atom, storage::message_row>, caf::reacts_to<cluster_atom, resync_atom>,
    // Its own timer: drop resume pages nobody asked for in a while.
    caf::reacts_to<sweep_atom>>;

// -- room ---------------------------------------------------------------------------

/// What connections and REST handlers send a room about its live traffic (room.cpp).
using room_traffic_actor = caf::typed_actor<
    // -> channels that will each send `conn` a snapshot; -1: not allowed in.
    caf::replies_to<join_atom, subscription, caf::actor>::with<int>,
    caf::reacts_to<leave_atom, std::uint64_t>,
    caf::replies_to<post_atom, post_request>::with<write_outcome>,
    caf::replies_to<edit_atom, edit_request>::with<write_outcome>,
    caf::replies_to<delete_atom, delete_request>::with<write_outcome>,
    caf::replies_to<react_atom, react_request>::with<write_outcome>,
    // The room as this caller may see it.
    caf::replies_to<info_atom, principal>::with<room_info>,
    // false: the caller sees no such channel.
    caf::replies_to<typing_atom, std::string, principal>::with<bool>,
    // Its own mailbox probe, once a second (metrics).
    caf::reacts_to<sample_atom, std::int64_t>,
    // Cluster mode, from the bridge: another node's event in this room; Redis came back.
    caf::reacts_to<cluster_atom, codec::cluster_event>, caf::reacts_to<cluster_atom, resync_atom>>;

/// Owner and membership operations (room_manage.cpp); refusals are values, not errors.
using room_manage_actor = caf::typed_actor<
    caf::replies_to<create_atom, channel_request>::with<write_outcome>,
    caf::replies_to<dm_atom, dm_request>::with<write_outcome>,
    caf::replies_to<delete_atom, channels_atom, principal, std::string>::with<write_outcome>,
    caf::replies_to<update_atom, principal,
                    storage::room_patch>::with<storage::expected<storage::room_row>>,
    caf::replies_to<whitelist_atom,
                    principal>::with<storage::expected<std::vector<storage::whitelist_row>>>,
    caf::replies_to<whitelist_atom, add_atom, principal,
                    storage::whitelist_row>::with<storage::expected<storage::whitelist_row>>,
    caf::replies_to<whitelist_atom, remove_atom, principal,
                    std::string>::with<storage::expected<storage::whitelist_row>>,
    caf::replies_to<access_atom, principal,
                    std::string>::with<storage::expected<storage::access_request_row>>,
    caf::replies_to<access_atom, list_atom,
                    principal>::with<storage::expected<std::vector<storage::access_request_row>>>,
    // (id, approve)
    caf::replies_to<access_atom, decide_atom, principal, std::string,
                    bool>::with<storage::expected<storage::access_request_row>>,
    caf::replies_to<members_atom,
                    principal>::with<storage::expected<std::vector<storage::user_row>>>>;

using hook_atom = caf::atom_constant<caf::atom("hook")>;

/// Bots (room_bots.cpp): registering one (owner only), listing them, a committed
/// message from a channel that may @mention an agent-bound bot, and incoming webhooks.
using room_bots_actor = caf::typed_actor<
    // An incoming webhook's post (its secret already checked by the caller): into
    // `channel_id` as the hook's bot user, whoever may see that channel; `not_found` when
    // the channel is gone, `bad_request` for a DM.
    caf::replies_to<hook_atom, post_request>::with<write_outcome>,
    caf::replies_to<bot_atom, principal,
                    storage::bot_row>::with<storage::expected<storage::bot_row>>,
    caf::replies_to<bot_atom, list_atom, principal>::with<std::vector<storage::bot_row>>,
    caf::reacts_to<mention_atom, storage::message_row>>;

using presence_atom = caf::atom_constant<caf::atom("presence")>;

/// Who is online in the room (presence.cpp): an open room socket or a heartbeat within
/// the TTL keeps a user online.
using room_presence_actor = caf::typed_actor<
    // A heartbeat (`POST /api/rooms/:slug/presence`); an error: not let in, or cluster
    // mode could not record it.
    caf::replies_to<presence_atom, principal>::with<error_info>,
    // `GET /api/rooms/:slug/presence`: who is online now.
    caf::replies_to<presence_atom, list_atom,
                    principal>::with<storage::expected<std::vector<storage::user_row>>>,
    // Its own timer: heartbeats run out (one node); Redis is polled (cluster mode).
    caf::reacts_to<presence_atom, sweep_atom>,
    // Cluster mode, from the Redis thread: poll `seq` answered (ok) with the online users
    // as (id, profile JSON) pairs.
    caf::reacts_to<presence_atom, std::uint64_t, bool, std::vector<std::string>>>;

/// Threads (room_threads.cpp): creating one under a message, replying, and who may read
/// one. A thread the caller may not see (room not entered, channel hidden) is not_found.
using room_threads_actor =
    caf::typed_actor<caf::replies_to<thread_atom, thread_request>::with<thread_outcome>,
                     caf::replies_to<thread_atom, reply_request>::with<thread_outcome>,
                     // (caller, channel id): may the caller read that channel's threads?
                     caf::replies_to<thread_atom, principal, std::string>::with<bool>>;

using board_atom = caf::atom_constant<caf::atom("board")>;

/// Boards (room_boards.cpp): a committed board change's event (`board_updated`,
/// `card_moved`), for everyone let into the room, on every node.
using room_boards_actor = caf::typed_actor<caf::reacts_to<board_atom, std::string>>;

/// A room (actors/chat/room.hpp): the six parts, each checked in its own file.
using room_actor =
    room_traffic_actor::extend_with<room_manage_actor, room_bots_actor, room_presence_actor,
                                    room_threads_actor, room_boards_actor>;

// -- room directory -----------------------------------------------------------------

/// Maps room slugs to rooms (actors/chat/directory.hpp).
using room_directory_actor = caf::typed_actor<
    // An invalid handle: no such room.
    caf::replies_to<room_atom, std::string>::with<room_actor>,
    // (slug, caller, patch): the room applies it (owner only) and the directory re-keys a
    // renamed room before it serves another lookup.
    caf::replies_to<update_atom, std::string, principal,
                    storage::room_patch>::with<storage::expected<storage::room_row>>,
    // (old slug, new slug, room): another node renamed the room; its actor here says so.
    caf::reacts_to<update_atom, std::string, std::string, room_actor>>;

}  // namespace relay
