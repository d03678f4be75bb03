// The operator's side of the SQLite search index (storage/migrations.cpp, "Search"):
// its state and size, a rebuild from the messages, and the off switch the write-path
// benchmark compares against (docs/operations.md, "Search index").
//
// The index is kept by triggers. Off drops them, so a write costs what it cost before
// search; their SQL is kept in a table so that turning it on puts back exactly the
// triggers the migrations made, whichever migration last changed them.

#include "storage/sqlite/search_index.hpp"

#include <sqlite3.h>

namespace relay::storage::sqlite {

namespace {

// Every object of the index: search_docs and its indexes, search_fts and its shadow
// tables (tbl_name names the table an index or a trigger belongs to).
constexpr const char* index_objects =
    "SELECT name FROM sqlite_master WHERE tbl_name LIKE 'search\\_%' ESCAPE '\\'"
    " AND type IN ('table', 'index')";

constexpr const char* triggers_off_table =
    "CREATE TABLE IF NOT EXISTS search_index_off (name TEXT PRIMARY KEY, sql TEXT NOT NULL)";

// The derivation of migration 18's backfill (has_link, the reply's channel), into an
// emptied index. Docs are numbered by creation time so the order of docs stays the
// order of arrival that newest-first paging walks.
constexpr const char* refill =
    "DELETE FROM search_docs;"
    "INSERT INTO search_fts (search_fts) VALUES ('delete-all');"
    "INSERT INTO search_docs (ref_id, is_reply, room_id, channel_id, author_id, created_at,"
    " has_link)"
    " SELECT id, is_reply, room_id, channel_id, author_id, created_at, has_link FROM ("
    "  SELECT m.id, 0 AS is_reply, m.room_id, m.channel_id, m.author_id, m.created_at,"
    "   instr(m.content, 'http://') > 0 OR instr(m.content, 'https://') > 0 AS has_link"
    "  FROM messages m"
    "  UNION ALL"
    "  SELECT p.id, 1, t.room_id, t.channel_id, p.author_id, p.created_at,"
    "   instr(p.content, 'http://') > 0 OR instr(p.content, 'https://') > 0"
    "  FROM thread_replies p JOIN threads t ON t.id = p.thread_id)"
    " ORDER BY created_at, id;"
    "INSERT INTO search_fts (rowid, content)"
    " SELECT d.doc, COALESCE(m.content, p.content) FROM search_docs d"
    "  LEFT JOIN messages m ON d.is_reply = 0 AND m.id = d.ref_id"
    "  LEFT JOIN thread_replies p ON d.is_reply = 1 AND p.id = d.ref_id;";

error_info sqlite_error(sqlite3* db, const char* what) {
  return make_error(errc::internal, std::string(what) + ": " + sqlite3_errmsg(db));
}

// Runs `sql` (several statements) in one IMMEDIATE transaction: all of it or nothing.
expected<void> in_transaction(sqlite3* db, const std::string& sql, const char* what) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
    return sqlite_error(db, what);
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    auto e = sqlite_error(db, what);
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return e;
  }
  return {};
}

expected<std::int64_t> one_int(database& db, const std::string& sql, const char* what) {
  auto st = db.prepare_uncached(sql);
  if (!st) return db.failure(what);
  if (st.step() != SQLITE_ROW) return db.failure(what);
  return st.int64(0);
}

// A store migrated before the triggers were kept aside has no such table: on.
expected<bool> is_off(database& db) {
  auto n = one_int(db,
                   "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name ="
                   " 'search_index_off'",
                   "search index state");
  if (!n) return n.error();
  return *n > 0;
}

}  // namespace

expected<search_index_state> read_search_index(database& db) {
  search_index_state s;
  auto off = is_off(db);
  if (!off) return off.error();
  s.on = !*off;
  auto docs = one_int(db, "SELECT count(*) FROM search_docs", "search index docs");
  if (!docs) return docs.error();
  s.docs = *docs;
  auto pages = one_int(db, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                       "database size");
  if (!pages) return pages.error();
  s.db_bytes = *pages;
  // dbstat is a compile-time option of SQLite (Debian's has it); without it only the
  // FTS5 segments' own bytes can be counted, the bulk of the index but not all of it.
  auto exact = one_int(db,
                       std::string("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN (") +
                           index_objects + ")",
                       "search index size");
  if (exact) {
    s.index_bytes = *exact;
    return s;
  }
  s.exact = false;
  auto blobs = one_int(db, "SELECT COALESCE(SUM(length(block)), 0) FROM search_fts_data",
                       "search index size");
  if (!blobs) return blobs.error();
  s.index_bytes = *blobs;
  return s;
}

expected<search_index_state> rebuild_search_index(database& db) {
  auto off = is_off(db);
  if (!off) return off.error();
  std::string sql;
  if (*off) {
    // The triggers' own text, as the migrations left it, back in place.
    auto st = db.prepare_uncached("SELECT sql FROM search_index_off ORDER BY name");
    if (!st) return db.failure("search index triggers");
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) sql += st.text(0) + ";";
    if (rc != SQLITE_DONE) return db.failure("search index triggers");
    sql += "DROP TABLE search_index_off;";
  }
  sql += refill;
  if (auto r = in_transaction(db.handle(), sql, "search index rebuild"); !r) return r.error();
  // Outside the refill's transaction: its own, and the refill is already safe on disk.
  if (sqlite3_exec(db.handle(), "INSERT INTO search_fts (search_fts) VALUES ('optimize')", nullptr,
                   nullptr, nullptr) != SQLITE_OK)
    return sqlite_error(db.handle(), "search index optimize");
  return read_search_index(db);
}

expected<void> turn_search_index_off(database& db) {
  auto off = is_off(db);
  if (!off) return off.error();
  if (*off) return {};
  std::string sql = std::string(triggers_off_table) +
                    ";INSERT INTO search_index_off (name, sql) SELECT name, sql FROM sqlite_master"
                    " WHERE type = 'trigger' AND name LIKE 'search\\_%' ESCAPE '\\';";
  auto st = db.prepare_uncached(
      "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search\\_%' ESCAPE "
      "'\\'");
  if (!st) return db.failure("search index triggers");
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) sql += "DROP TRIGGER \"" + st.text(0) + "\";";
  if (rc != SQLITE_DONE) return db.failure("search index triggers");
  return in_transaction(db.handle(), sql, "search index off");
}

}  // namespace relay::storage::sqlite
