#pragma once

#include <cstdint>

#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// The search index of a SQLite store as the operator sees it (docs/operations.md,
/// "Search index").
struct search_index_state {
  bool on = true;                // its triggers index every write
  std::int64_t docs = 0;         // messages and replies in search_docs
  std::int64_t index_bytes = 0;  // search_docs, its indexes and the FTS5 tables, on disk
  std::int64_t db_bytes = 0;     // the whole database file (page_count * page_size)
  bool exact = true;             // sizes from dbstat; false: the FTS5 blobs' lengths only
};

/// On, with its docs and size.
expected<search_index_state> read_search_index(database& db);

/// Empties the index and indexes every message and thread reply again, oldest first, in
/// one transaction; turns it on first when it was off. Then merges the FTS5 segments
/// into one (what a long-running index converges to anyway), so the size it reports is
/// the steady one.
expected<search_index_state> rebuild_search_index(database& db);

/// Turns the index off: writes stop indexing (its triggers are dropped, kept in
/// search_index_off to be put back by rebuild_search_index). Its rows stay but go stale,
/// which is why search answers 503 while it is off. Nothing when already off.
expected<void> turn_search_index_off(database& db);

}  // namespace relay::storage::sqlite
