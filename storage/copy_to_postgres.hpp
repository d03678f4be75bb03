#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "storage/expected.hpp"

namespace relay::storage {

/// One table's rows in the single node's SQLite and in the Postgres store of record.
struct copy_count {
  std::string table;
  std::int64_t source = 0;
  std::int64_t target = 0;
};

/// What copy_to_postgres() found and did.
struct copy_report {
  /// A finished copy of this same store was there already: nothing was written.
  bool already_done = false;
  /// A run before this one was cut off; this one went on from where it stopped.
  bool resumed = false;
  /// Messages the node had moved to the archive (message_archive) were copied too.
  bool from_archive = false;
  std::vector<copy_count> counts;

  /// Whether every table holds as many rows in Postgres as in the source.
  bool verified() const {
    for (auto& c : counts)
      if (c.source != c.target) return false;
    return true;
  }
};

struct copy_options {
  /// Rows per Postgres transaction.
  int batch_rows = 1000;
  /// Called after each committed batch with the table and the rows it held; returning
  /// false stops the copy there, as a crash would (the tests' way to cut a run short).
  std::function<bool(const std::string& table, int rows)> after_batch;
};

/// Copies a single node's SQLite store (`sqlite_path`) into the Postgres store of record
/// at `postgres_url` (docs/operations.md, "Moving from one node to a cluster"): every row
/// with its ids, seqs and times as they are, so tokens stay valid and clients resume where
/// they were. The target must be empty (a freshly migrated one holds only the lobby its
/// migration seeded, which the source's lobby replaces), or hold an unfinished copy of the
/// same store, which this run completes: batches commit in key order with their progress
/// (table relay_copy), and every insert skips rows already there, so a run cut off at any
/// point is finished by the next one without a duplicate. Messages the node moved to the
/// archive come from message_archive when the target database holds it; when the source
/// says messages were archived and the target has no archive, nothing is copied (an
/// error), rather than a history with holes. The caller keeps the server off the source
/// (the data directory's lock) while this runs.
///
/// Errors: `conflict` when the target is not empty or holds another store's copy, or the
/// archive is missing; `not_found` when there is no SQLite file; `unavailable` and
/// `internal` when a database fails (also a run stopped by `after_batch`).
expected<copy_report> copy_to_postgres(const std::string& sqlite_path,
                                       const std::string& postgres_url,
                                       const copy_options& options = {});

}  // namespace relay::storage
