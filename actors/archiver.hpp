#pragma once

#include <chrono>

#include <caf/actor_system.hpp>

#include "actors/fwd.hpp"

namespace relay {

struct archiver_params {
  store_factory open;            // its own SQLite connection: finds what to move
  archive_factory open_archive;  // its own Postgres connection
  store_writer_actor writer;     // forgets moved messages in SQLite, in its transactions
  std::chrono::milliseconds after{std::chrono::hours(24 * 90)};  // the retention window
  std::chrono::milliseconds every{std::chrono::minutes(1)};      // time between passes
  int batch = 500;                                               // messages per batch
};

/// Spawns the archiver of a single node with `--postgres-url` (docs/operations.md,
/// "Archive"). It runs a pass at start and then every `every`: messages created more
/// than `after` ago move from SQLite to Postgres in batches of `batch`, each batch in the
/// steps of storage/archive_source.hpp, so a crash at any point neither loses nor
/// duplicates a message; the next pass first finishes what a crash left.
///
/// It runs on a thread of its own (Postgres calls block). While Postgres is down a pass
/// fails early and the next one retries; nothing else waits for it. Edits and deletes of
/// archived messages come here from rooms after the writer answered `not_found`.
archiver_actor spawn_archiver(caf::actor_system& sys, archiver_params params);

}  // namespace relay
