#pragma once

// What every actor module shares about the store actors: how a store connection is
// opened, and the store writer's interface. Rooms, channels, halls, agent sockets and
// the REST handlers hold the writer's handle, so the compiler checks what they send it
// and what they expect back.

#include <functional>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace relay {

namespace storage {
class store;
namespace postgres {
class archive;
}
}  // namespace storage

class client_sink;
struct config;

/// Opens a store connection; called once per storage actor (each owns its own).
using store_factory = std::function<std::unique_ptr<storage::store>()>;
/// Opens a connection to the Postgres archive of old messages; empty when there is none.
using archive_factory = std::function<std::unique_ptr<storage::postgres::archive>()>;

/// The single writer of the store (actors/store_writer.hpp). Every reply comes once the
/// transaction holding the write has committed or rolled back.
using store_writer_actor = caf::typed_actor<
    // A channel's post; the channel may also get `(applied_atom, message_row)` first.
    caf::replies_to<append_atom, storage::new_message>::with<write_outcome>,
    // (room_id, request)
    caf::replies_to<edit_atom, std::string, edit_request>::with<write_outcome>,
    // (room_id, room_owner_id, request)
    caf::replies_to<delete_atom, std::string, std::string, delete_request>::with<write_outcome>,
    // (room_id, request): `duplicate` when it changed nothing
    caf::replies_to<react_atom, std::string, react_request>::with<write_outcome>,
    caf::replies_to<create_atom, storage::channel_row>::with<write_outcome>,
    // (user_id, name, token_hash)
    caf::replies_to<token_atom, create_atom, std::string, std::string,
                    std::string>::with<token_outcome>,
    // (user_id, token_id)
    caf::replies_to<token_atom, revoke_atom, std::string, std::string>::with<token_outcome>,
    // true: committed; false: the batch rolled back.
    caf::replies_to<job_atom, store_job>::with<bool>,
    // The writer's own: it sends this to itself to run the queued batch.
    caf::reacts_to<flush_atom>>;

/// The archiver of a single node with a Postgres archive (actors/archiver.hpp): it moves
/// old messages out of SQLite, and edits and deletes the messages that are only in the
/// archive, with the same rules and answers as the store writer.
using archiver_actor = caf::typed_actor<
    // (room_id, request)
    caf::replies_to<edit_atom, std::string, edit_request>::with<write_outcome>,
    // (room_id, room_owner_id, request)
    caf::replies_to<delete_atom, std::string, std::string, delete_request>::with<write_outcome>,
    // Runs a pass now (or joins the one running) and answers what it did.
    caf::replies_to<archive_atom>::with<archive_report>,
    // Its own timer.
    caf::reacts_to<sweep_atom>>;

}  // namespace relay
