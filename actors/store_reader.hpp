#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/fwd.hpp"

namespace relay {

/// Spawns `n` detached readers behind one round-robin pool handle. Each owns a
/// store connection (SQLite WAL lets them read while the writer commits), so
/// blocking reads never occupy the scheduler threads that drive rooms.
///
/// Requests:
///  * `(auth_atom, std::string token_hash)` -> `std::optional<storage::credential>`
///  * `(tokens_atom, std::string user_id)` -> `std::vector<storage::token_row>`
///  * `(info_atom, std::string user_id)` -> `std::optional<storage::user_row>`
///  * `(room_atom, std::string slug)` -> `std::optional<storage::room_row>`
///  * `(channels_atom, std::string room_id)` -> `std::vector<storage::channel_row>`
///  * `(tail_atom, std::string room_id, std::string channel_id, int n)` -> `channel_snapshot`
///  * `(load_atom, std::string room_id, std::string channel_id, int64 after, int64 upto,
///     size_t max_messages, size_t max_bytes)` -> `std::vector<storage::message_row>`
///      (seqs in (after, upto], ascending, the oldest that fit the limits; at least one)
///  * `(list_atom, storage::message_query)` -> `std::vector<storage::message_row>`
///  * `(health_atom)` -> `bool`
///  * `(health_atom, archive_atom)` -> `std::string`: "ok", "fail" or "off" (no archive)
///  * `(job_atom, store_job)` -> `bool` (runs the job on one reader's connection)
/// With `open_archive`, each reader also holds a connection to the Postgres archive and
/// the message reads (tail, load, list) fall through to it (storage/tiered_reads.hpp).
/// `dedicated_threads = false` is for deterministic tests only.
caf::actor spawn_store_readers(caf::actor_system& sys, store_factory open, std::size_t n,
                               archive_factory open_archive = {}, bool dedicated_threads = true);

/// How long an actor waits for a read it can fail cleanly (it answers an error, and the
/// next use reads again). A reader's query takes milliseconds; one that has not answered
/// in this long is wedged (a lock held by an operator command, a dying disk), and whoever
/// waits on it — a room loading, every lookup of a slug — should not wait with it.
inline constexpr std::chrono::seconds store_read_timeout{30};

}  // namespace relay
