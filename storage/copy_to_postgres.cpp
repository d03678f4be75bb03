// Copying a single node's SQLite store into the Postgres store of record, row for row.
// The store's create_* calls are no use here: they make new ids and seqs, and a copy must
// keep both (tokens, links, and clients resuming by seq depend on them). So this reads
// SQLite's tables in key order and writes them with plain SQL, in batches that commit
// with their progress.

#include "storage/copy_to_postgres.hpp"

#include <sqlite3.h>
#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/clock.hpp"
#include "storage/postgres/schema.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage {

namespace {

// -- the tables --------------------------------------------------------------------

/// How a column travels: SQLite hands every value over as text (or bytes), and the
/// insert casts it to the Postgres column's type.
/// `file`: the column's source is an attachment's sha256, and what travels is the file
/// holding those bytes under the data directory (storage/sqlite/attachments.hpp).
enum class kind { text, integer, boolean, bytes, file };

struct column {
  const char* name;
  kind type = kind::text;
  /// What SQLite selects for it, when not the column of that name.
  const char* source = nullptr;
};

/// A table to copy; its first `keys` columns are its primary key, the order it is read
/// and resumed in. It lands in the Postgres table of the same name unless `target` says.
struct table {
  const char* name;
  int keys;
  std::vector<column> columns;
  const char* target = nullptr;
  /// At most this many rows per batch when set (rows that carry whole files).
  int max_batch = 0;

  std::string pg_name() const { return target ? target : name; }
};

constexpr kind I = kind::integer;
constexpr kind B = kind::boolean;

// Parents before children, so every foreign key finds its row. The columns are SQLite's
// as migrated (storage/migrations.cpp) and Postgres's (storage/postgres/schema.cpp).
const std::vector<table>& tables() {
  static const std::vector<table> list = {
      {"users",
       1,
       {{"id"},
        {"login"},
        {"name"},
        {"avatar_url"},
        {"email"},
        {"github_id", I},
        {"created_at", I}}},
      {"tokens",
       1,
       {{"id"},
        {"user_id"},
        {"name"},
        {"hash"},
        {"created_at", I},
        {"revoked_at", I},
        {"kind"},
        {"expires_at", I}}},
      {"notifications",
       1,
       {{"id"},
        {"user_id"},
        {"kind"},
        {"room_id"},
        {"ref_id"},
        {"body"},
        {"state"},
        {"created_at", I},
        {"saved", B},
        {"visibility"}}},
      {"rooms",
       1,
       {{"id"},
        {"slug"},
        {"display_name"},
        {"description"},
        {"accent_colors"},
        {"avatar_url"},
        {"owner_id"},
        {"whitelist_only", B},
        {"created_at", I}}},
      {"channels",
       1,
       {{"id"},
        {"room_id"},
        {"slug"},
        {"name"},
        {"visibility"},
        {"created_by"},
        {"created_at", I}}},
      {"channel_members", 2, {{"channel_id"}, {"user_id"}}},
      {"whitelist",
       1,
       {{"id"}, {"room_id"}, {"login"}, {"email"}, {"note"}, {"added_by"}, {"created_at", I}}},
      {"access_requests",
       1,
       {{"id"},
        {"room_id"},
        {"user_id"},
        {"note"},
        {"state"},
        {"created_at", I},
        {"decided_at", I},
        {"decided_by"}}},
      {"agents",
       1,
       {{"agent_id"},
        {"name"},
        {"description"},
        {"token_hash"},
        {"created_at", I},
        {"last_seen", I},
        {"events_served", I}}},
      {"apps", 1, {{"app_id"}, {"name"}, {"token_hash"}, {"created_at", I}}},
      {"app_allowlist", 2, {{"app_id"}, {"agent_id"}}},
      {"room_bots", 2, {{"room_id"}, {"user_id"}, {"agent_id"}, {"prefix"}, {"created_at", I}}},
      {"messages",
       1,
       {{"id"},
        {"room_id"},
        {"channel_id"},
        {"seq", I},
        {"author_id"},
        {"content", kind::bytes},
        {"client_msg_id"},
        {"created_at", I},
        {"edited_at", I},
        {"thread_id"},
        {"bot"}}},
      {"reactions", 3, {{"message_id"}, {"emoji"}, {"user_id"}, {"added", I}, {"created_at", I}}},
      {"threads",
       1,
       {{"id"},
        {"room_id"},
        {"channel_id"},
        {"root_id"},
        {"reply_count", I},
        {"last_reply_at", I},
        {"created_at", I}}},
      {"incoming_webhooks",
       1,
       {{"id"},
        {"room_id"},
        {"channel_id"},
        {"name"},
        {"creator_id"},
        {"user_id"},
        {"secret_hash"},
        {"github_secret"},
        {"created_at", I},
        {"revoked_at", I}}},
      {"thread_replies",
       1,
       {{"id"},
        {"thread_id"},
        {"seq", I},
        {"author_id"},
        {"content", kind::bytes},
        {"client_msg_id"},
        {"created_at", I}}},
      {"boards",
       1,
       {{"id"}, {"room_id"}, {"name"}, {"owner_id"}, {"is_default", B}, {"created_at", I}}},
      {"board_columns", 1, {{"id"}, {"board_id"}, {"name"}, {"position", I}}},
      {"cards",
       1,
       {{"id"},
        {"board_id"},
        {"column_id"},
        {"title"},
        {"body"},
        {"author_id"},
        {"position", I},
        {"created_at", I},
        {"updated_at", I}}},
      {"card_saves", 2, {{"card_id"}, {"user_id"}, {"created_at", I}}},
      // SQLite hands out seqs a block ahead (`reserved`) and continues above the block
      // after a restart, since a client may have seen one of them; Postgres reserves
      // nothing, so the block's top is where the channel goes on.
      {"channel_seqs",
       2,
       {{"room_id"}, {"channel_id"}, {"last_seq", I, "max(last_seq, reserved)"}}},
      {"deleted_messages",
       2,
       {{"author_id"},
        {"client_msg_id"},
        {"id"},
        {"room_id"},
        {"channel_id"},
        {"seq", I},
        {"created_at", I},
        {"bot"},
        {"deleted_at", I}}},
      // The client ids of archived messages, so a retried send stays a duplicate even
      // after its archived message was deleted (the archive forgets it, this does not).
      // Staged in Postgres: the ones no copied message holds become deleted_messages
      // (copier::keep_archived_client_ids).
      {"archived_client_ids",
       2,
       {{"author_id"},
        {"client_msg_id"},
        {"id"},
        {"room_id"},
        {"channel_id"},
        {"seq", I},
        {"created_at", I},
        {"bot"}},
       "relay_copy_archived_ids"},
      // Attachments carry their bytes from the data directory into the row (Postgres
      // keeps them in bytea, so every node serves them); 8 files of up to 25 MB a batch.
      {"attachments",
       1,
       {{"id"},
        {"uploader_id"},
        {"entity_type"},
        {"entity_id"},
        {"content_type"},
        {"size", I},
        {"width", I},
        {"height", I},
        {"name"},
        {"sha256"},
        {"created_at", I},
        {"bytes", kind::file, "sha256"}},
       nullptr,
       8},
      {"hall_workspaces", 1, {{"id"}, {"plan"}, {"created_at", I}}},
      {"hall_keys",
       1,
       {{"id"}, {"workspace_id"}, {"key_hash"}, {"test_mode", B}, {"created_at", I}}},
      {"halls",
       1,
       {{"id"},
        {"workspace_id"},
        {"test_mode", B},
        {"name"},
        {"max_participants", I},
        {"status"},
        {"created_at", I},
        {"closed_at", I}}},
      {"hall_grants",
       2,
       {{"hall_id"}, {"participant_id"}, {"display_name"}, {"role"}, {"granted_at", I}}},
      {"hall_sessions",
       1,
       {{"id"},
        {"hall_id"},
        {"participant_id"},
        {"display_name"},
        {"role"},
        {"joined_at", I},
        {"left_at", I},
        {"minutes", I},
        {"billed_period"}}},
      {"hall_usage", 3, {{"workspace_id"}, {"test_mode", I}, {"period"}, {"minutes", I}}},
      {"livekit_webhooks", 1, {{"id"}, {"hall_id"}, {"applied_at", I}}},
      {"webhooks",
       1,
       {{"id"},
        {"room_id"},
        {"creator_id"},
        {"url"},
        {"events"},
        {"description"},
        {"enabled", B},
        {"secret"},
        {"prev_secret"},
        {"prev_secret_until", I},
        {"failure_count", I},
        {"last_state"},
        {"last_status_code", I},
        {"last_attempt_at", I},
        {"disabled_reason"},
        {"created_at", I}}},
      // Pending deliveries go on from the cluster; a lease of the single node is dropped.
      {"webhook_deliveries",
       1,
       {{"id"},
        {"webhook_id"},
        {"event"},
        {"payload"},
        {"msg_id"},
        {"attempt", I},
        {"state"},
        {"next_attempt_at", I},
        {"lease_until", I, "0"},
        {"status_code", I},
        {"latency_ms", I},
        {"error"},
        {"created_at", I},
        {"updated_at", I}}},
  };
  return list;
}

// hall_usage's test_mode is part of its key, read back from SQLite as an integer, and a
// boolean in Postgres.
const char* pg_cast(const table& t, const column& c) {
  if (std::string_view{t.name} == "hall_usage" && std::string_view{c.name} == "test_mode")
    return "boolean";
  switch (c.type) {
    case kind::integer:
      return "bigint";
    case kind::boolean:
      return "boolean";
    case kind::bytes:
    case kind::file:
      return "bytea";
    case kind::text:
      break;
  }
  return "text";
}

/// The progress of a copy, in the target next to what it copied: which store it is a
/// copy of, and per table the key of the last row committed.
constexpr const char* progress_schema =
    "CREATE TABLE IF NOT EXISTS relay_copy_source (source text PRIMARY KEY,"
    " started_at bigint NOT NULL, finished_at bigint);"
    "CREATE TABLE IF NOT EXISTS relay_copy (tbl text PRIMARY KEY, last_key text[],"
    " done boolean NOT NULL DEFAULT false);"
    "CREATE TABLE IF NOT EXISTS relay_copy_archived_ids (author_id text, client_msg_id text,"
    " id text NOT NULL, room_id text NOT NULL, channel_id text NOT NULL, seq bigint NOT NULL,"
    " created_at bigint NOT NULL, bot text, PRIMARY KEY (author_id, client_msg_id))";

// Any fixed number, not migrate()'s: two copies into one database would interleave.
constexpr long long copy_lock = 0x52454c4143;  // "RELAC"

/// A refusal or failure, carried out of the copy as its error.
struct copy_error : std::runtime_error {
  copy_error(errc c, const std::string& what) : std::runtime_error{what}, code{c} {}
  errc code;
};

using value = std::optional<std::string>;

// -- SQLite ------------------------------------------------------------------------

using stmt_ptr = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

stmt_ptr prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    throw copy_error(errc::internal, std::string("sqlite: ") + sqlite3_errmsg(db) + " in " + sql);
  return {s, &sqlite3_finalize};
}

bool step(sqlite3* db, sqlite3_stmt* s) {
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw copy_error(errc::unavailable, std::string("sqlite: ") + sqlite3_errmsg(db));
}

std::int64_t sqlite_count(sqlite3* db, const std::string& sql) {
  auto s = prepare(db, sql);
  return step(db, s.get()) ? sqlite3_column_int64(s.get(), 0) : 0;
}

std::string hex_bytes(const void* data, int size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * static_cast<std::size_t>(size));
  auto* p = static_cast<const unsigned char*>(data);
  for (int i = 0; i < size; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0xf];
  }
  return out;
}

/// The bytes stored for `sha256` beside the database, as a bytea hex literal. A file
/// that is gone fails the copy: the row would point at nothing.
std::string hex_bytes_of_file(sqlite3* db, const std::string& sha256) {
  bool hex = sha256.size() == 64;
  for (char c : sha256) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hex) throw copy_error(errc::internal, "attachment with a malformed sha256: " + sha256);
  const char* file = sqlite3_db_filename(db, "main");
  std::filesystem::path dir = file != nullptr && *file != '\0'
                                  ? std::filesystem::path(file).parent_path()
                                  : std::filesystem::path(".");
  std::ifstream in(dir / "attachments" / sha256.substr(0, 2) / sha256, std::ios::binary);
  if (!in) throw copy_error(errc::not_found, "attachment bytes missing for sha256 " + sha256);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return hex_bytes(bytes.data(), static_cast<int>(bytes.size()));
}

/// Up to `limit` rows of `t` after the key `after` (empty: from the start), in key order.
std::vector<std::vector<value>> read_batch(sqlite3* db, const table& t,
                                           const std::vector<value>& after, int limit) {
  std::string cols, keys, marks;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    auto& c = t.columns[i];
    cols += (i ? ", " : "") + std::string(c.source ? c.source : c.name);
    if (static_cast<int>(i) < t.keys) {
      keys += (i ? ", " : "") + std::string(c.name);
      marks += i ? ", ?" : "?";
    }
  }
  std::string sql = "SELECT " + cols + " FROM " + t.name;
  if (!after.empty()) sql += " WHERE (" + keys + ") > (" + marks + ")";
  sql += " ORDER BY " + keys + " LIMIT " + std::to_string(limit);
  auto s = prepare(db, sql);
  for (int i = 0; i < static_cast<int>(after.size()); ++i) {
    // A key compares as the type it is stored as: SQLite orders every integer before
    // every text, so an integer key bound as text would match no row after it.
    const auto& v = *after[i];
    if (t.columns[i].type == kind::text)
      sqlite3_bind_text(s.get(), i + 1, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    else
      sqlite3_bind_int64(s.get(), i + 1, std::stoll(v));
  }
  std::vector<std::vector<value>> rows;
  while (step(db, s.get())) {
    auto& row = rows.emplace_back();
    for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
      if (sqlite3_column_type(s.get(), i) == SQLITE_NULL) {
        row.emplace_back();
      } else if (t.columns[i].type == kind::file) {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), i));
        std::string sha(p, static_cast<std::size_t>(sqlite3_column_bytes(s.get(), i)));
        row.emplace_back(hex_bytes_of_file(db, sha));
      } else if (t.columns[i].type == kind::bytes) {
        const void* p = sqlite3_column_blob(s.get(), i);
        row.emplace_back(hex_bytes(p, sqlite3_column_bytes(s.get(), i)));
      } else {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), i));
        row.emplace_back(
            std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s.get(), i))));
      }
    }
  }
  return rows;
}

// -- Postgres ----------------------------------------------------------------------

/// A text[] literal of `items`, each quoted, so any id survives.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

std::int64_t pg_count(pqxx::transaction_base& w, const std::string& sql) {
  return w.exec(sql)[0][0].as<std::int64_t>();
}

/// Runs `sql` with the values as its parameters, $1…$n; a missing value is NULL.
pqxx::result exec_values(pqxx::transaction_base& w, const std::string& sql,
                         const std::vector<value>& values) {
  std::vector<const char*> params;
  params.reserve(values.size());
  for (auto& v : values) params.push_back(v ? v->c_str() : nullptr);
  return w.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

/// The key of the last row of `table` committed, empty before the first; nullopt when the
/// table is done.
std::optional<std::vector<value>> progress(pqxx::transaction_base& w, const std::string& name) {
  auto r = w.exec_params("SELECT done FROM relay_copy WHERE tbl = $1", name);
  if (!r.empty() && r[0][0].as<bool>()) return std::nullopt;
  std::vector<value> key;
  for (auto row :
       w.exec_params("SELECT k FROM relay_copy, unnest(last_key) WITH ORDINALITY AS u(k, n)"
                     " WHERE tbl = $1 ORDER BY n",
                     name))
    key.emplace_back(row[0].as<std::string>());
  return key;
}

void save_progress(pqxx::transaction_base& w, const std::string& name,
                   const std::vector<std::string>& key, bool done) {
  w.exec_params(
      "INSERT INTO relay_copy (tbl, last_key, done) VALUES ($1, $2::text[], $3)"
      " ON CONFLICT (tbl) DO UPDATE SET last_key = excluded.last_key, done = excluded.done",
      name, text_array(key), done);
}

struct copier {
  sqlite3* src;
  pqxx::connection& pg;
  const copy_options& options;

  /// Copies `t` from where the last run stopped; false when after_batch stopped it.
  bool copy_table(const table& t) {
    std::optional<std::vector<value>> after;
    {
      pqxx::read_transaction r{pg};
      after = progress(r, t.name);
    }
    if (!after) return true;
    std::string insert = "INSERT INTO " + t.pg_name() + " (";
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      insert += (i ? ", " : "") + std::string(t.columns[i].name);
    insert += ") VALUES ";
    for (;;) {
      const int limit =
          t.max_batch ? std::min(t.max_batch, options.batch_rows) : options.batch_rows;
      auto rows = read_batch(src, t, *after, limit);
      const bool done = static_cast<int>(rows.size()) < limit;
      pqxx::work w{pg, "copy"};
      if (!rows.empty()) {
        std::string sql = insert;
        std::vector<value> values;
        int n = 0;
        for (auto& row : rows) {
          sql += n ? ", (" : "(";
          for (std::size_t i = 0; i < row.size(); ++i) {
            sql += (i ? ", $" : "$") + std::to_string(++n) + "::" + pg_cast(t, t.columns[i]);
            values.push_back(std::move(row[i]));
          }
          sql += ")";
        }
        // A row a cut-off run committed is there already; skipping it is the resume. A row
        // skipped for another conflict shows as a difference in the counts at the end.
        exec_values(w, sql + " ON CONFLICT DO NOTHING", values);
        after->assign(values.end() - static_cast<long>(t.columns.size()),
                      values.end() - static_cast<long>(t.columns.size()) + t.keys);
      }
      std::vector<std::string> key;
      for (auto& k : *after) key.push_back(*k);
      save_progress(w, t.name, key, done);
      w.commit();
      if (options.after_batch && !options.after_batch(t.name, static_cast<int>(rows.size())))
        return false;
      if (done) return true;
    }
  }

  // -- the archive ------------------------------------------------------------------

  static constexpr const char* unheld =
      "FROM relay_copy_archived_ids a WHERE NOT EXISTS (SELECT 1 FROM messages m"
      " WHERE m.author_id = a.author_id AND m.client_msg_id = a.client_msg_id)";

  /// The staged client ids of archived messages that no copied message holds (their
  /// message was deleted from the archive) become deleted_messages, which is how the
  /// cluster answers a retried send of a deleted message. Skips what is there already.
  void keep_archived_client_ids(pqxx::transaction_base& w) {
    w.exec_params(std::string("INSERT INTO deleted_messages (author_id, client_msg_id, id,"
                              " room_id, channel_id, seq, created_at, bot, deleted_at)"
                              " SELECT a.author_id, a.client_msg_id, a.id, a.room_id,"
                              " a.channel_id, a.seq, a.created_at, a.bot, $1 ") +
                      unheld + " ON CONFLICT DO NOTHING",
                  now_ms());
  }

  /// How many rows keep_archived_client_ids() adds to the source's deleted_messages.
  std::int64_t kept_count() {
    pqxx::read_transaction r{pg};
    return pg_count(r, std::string("SELECT count(*) ") + unheld) -
           sqlite_count(src,
                        "SELECT count(*) FROM archived_client_ids a JOIN deleted_messages d"
                        " ON d.author_id = a.author_id AND d.client_msg_id = a.client_msg_id");
  }

  /// Ids of messages a cut-off archiver batch had already taken out of SQLite but not yet
  /// marked settled in the archive (storage/archive_source.hpp): the archive holds their
  /// only copy. An unsettled row not named here is either still in SQLite (copied from
  /// there) or was deleted by its author in between.
  std::string moved_ids() {
    std::vector<std::string> ids;
    auto s = prepare(src, "SELECT id FROM archive_settling WHERE gone = 0");
    while (step(src, s.get()))
      ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)));
    return text_array(ids);
  }

  static constexpr const char* archived =
      "FROM message_archive WHERE (settled OR id = ANY($1::text[]))";

  std::int64_t archived_count() {
    pqxx::read_transaction r{pg};
    return r.exec_params(std::string("SELECT count(*) ") + archived, moved_ids())[0][0]
        .as<std::int64_t>();
  }

  /// Copies the archived messages into messages, as copy_table() does SQLite's.
  bool copy_archive() {
    std::optional<std::vector<value>> after;
    {
      pqxx::read_transaction r{pg};
      after = progress(r, "message_archive");
    }
    if (!after) return true;
    const std::string moved = moved_ids();
    const std::string cols =
        "id, room_id, channel_id, seq, author_id, content, client_msg_id, created_at,"
        " edited_at, thread_id, bot";
    for (;;) {
      pqxx::work w{pg, "copy archive"};
      auto r = w.exec_params("WITH batch AS (SELECT " + cols + " " + archived +
                                 " AND id > $2 ORDER BY id LIMIT $3),"
                                 " copied AS (INSERT INTO messages (" +
                                 cols + ") SELECT " + cols +
                                 " FROM batch ON CONFLICT DO NOTHING)"
                                 " SELECT max(id), count(*) FROM batch",
                             moved, after->empty() ? std::string() : *after->front(),
                             options.batch_rows);
      const auto rows = r[0][1].as<int>();
      const bool done = rows < options.batch_rows;
      if (rows > 0) *after = {r[0][0].as<std::string>()};
      std::vector<std::string> key;
      for (auto& k : *after) key.push_back(*k);
      save_progress(w, "message_archive", key, done);
      w.commit();
      if (options.after_batch && !options.after_batch("message_archive", rows)) return false;
      if (done) return true;
    }
  }
};

// -- the steps -----------------------------------------------------------------------

/// The id of the store's lobby: made when the SQLite file was created, it tells one
/// node's store from another's.
std::string source_identity(sqlite3* db) {
  auto s = prepare(db, "SELECT id FROM rooms WHERE slug = 'lobby'");
  if (!step(db, s.get()))
    throw copy_error(errc::conflict, "the SQLite store has no lobby room; it is not Relay's");
  return reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
}

/// Makes sure the target is empty or an unfinished copy of `source`; returns whether a
/// copy was there (and if it finished).
struct start_state {
  bool copy_existed = false;
  bool finished = false;
};

start_state claim_target(pqxx::connection& pg, const std::string& source) {
  pqxx::work w{pg, "claim"};
  w.exec(progress_schema);
  auto r = w.exec("SELECT source, finished_at FROM relay_copy_source");
  if (!r.empty()) {
    if (r[0][0].as<std::string>() != source)
      throw copy_error(errc::conflict,
                       "the Postgres database holds a copy of another store (lobby " +
                           r[0][0].as<std::string>() + ", this one's is " + source +
                           "); copy into an empty database");
    start_state s{true, !r[0][1].is_null()};
    w.commit();
    return s;
  }
  // A store migrated and never served holds only the lobby its migration seeded; the
  // source's lobby (with its own id) takes its place.
  std::string held;
  for (auto& t : tables()) {
    const auto n = pg_count(w, "SELECT count(*) FROM " + t.pg_name());
    const bool seeded_lobby = std::string_view{t.name} == "rooms" && n == 1 &&
                              pg_count(w, "SELECT count(*) FROM rooms WHERE slug = 'lobby'") == 1;
    if (n > 0 && !seeded_lobby)
      held += (held.empty() ? "" : ", ") + std::string(t.name) + " (" + std::to_string(n) + ")";
  }
  if (!held.empty())
    throw copy_error(errc::conflict,
                     "the Postgres database is not empty: it holds " + held +
                         " that did not come from this store; copy into an empty database");
  w.exec("DELETE FROM rooms WHERE slug = 'lobby'");
  w.exec_params("INSERT INTO relay_copy_source (source, started_at) VALUES ($1, $2)", source,
                now_ms());
  w.commit();
  return {};
}

copy_report run_copy(const std::string& sqlite_path, const std::string& postgres_url,
                     const copy_options& options) {
  if (!std::filesystem::exists(sqlite_path))
    throw copy_error(errc::not_found, "no SQLite store at " + sqlite_path);
  // Migrated as the server would on start, so its columns are the ones copied.
  sqlite::database source{sqlite_path, true, "normal"};
  sqlite3* src = source.handle();
  const std::string identity = source_identity(src);
  const bool has_archive = sqlite_count(src, "SELECT count(*) FROM archived_upto") > 0;

  pqxx::connection pg{postgres_url};
  if (!pqxx::nontransaction{pg}
           .exec_params("SELECT pg_try_advisory_lock($1)", copy_lock)[0][0]
           .as<bool>())
    throw copy_error(errc::conflict, "another copy into this Postgres database is running");
  // Released here rather than by the connection's end: Postgres ends a backend after its
  // client has gone, so a run right after this one could still find the lock taken.
  struct unlock {
    pqxx::connection& pg;
    ~unlock() {
      try {
        pqxx::nontransaction{pg}.exec_params("SELECT pg_advisory_unlock($1)", copy_lock);
      } catch (const std::exception&) {
        // The connection is gone, and the lock with it.
      }
    }
  } unlock_at_end{pg};
  // Checked before the migration, so a wrong database is left as it was.
  if (has_archive) {
    pqxx::read_transaction r{pg};
    const bool archive_held = !r.exec("SELECT to_regclass('message_archive')")[0][0].is_null() &&
                              pg_count(r, "SELECT count(*) FROM message_archive") > 0;
    if (!archive_held)
      throw copy_error(
          errc::conflict,
          "the node moved older messages to a Postgres archive (its --postgres-url), and this "
          "database holds none: copy into the database that holds the archive, so the history "
          "comes along (docs/operations.md, \"Moving from one node to a cluster\")");
  }
  postgres::migrate(pg);

  copy_report report;
  const auto state = claim_target(pg, identity);
  report.resumed = state.copy_existed && !state.finished;
  report.already_done = state.finished;
  report.from_archive = has_archive;
  copier c{src, pg, options};
  if (!state.finished) {
    for (auto& t : tables()) {
      if (!c.copy_table(t))
        throw copy_error(errc::unavailable, std::string("stopped while copying ") + t.name);
      if (std::string_view{t.name} == "messages" && has_archive && !c.copy_archive())
        throw copy_error(errc::unavailable, "stopped while copying message_archive");
    }
    pqxx::work w{pg, "finish"};
    c.keep_archived_client_ids(w);
    // Messages came in id order and the archive's after the rest: search numbers its docs
    // again, oldest first, so its newest first is the messages' (schema version 12).
    w.exec("SELECT relay_search_rebuild()");
    w.exec_params("UPDATE relay_copy_source SET finished_at = $1", now_ms());
    w.commit();
  }

  const std::int64_t from_archive = has_archive ? c.archived_count() : 0;
  const std::int64_t kept = c.kept_count();
  pqxx::read_transaction r{pg};
  for (auto& t : tables()) {
    copy_count n{t.name, sqlite_count(src, std::string("SELECT count(*) FROM ") + t.name),
                 pg_count(r, "SELECT count(*) FROM " + t.pg_name())};
    if (n.table == "messages") n.source += from_archive;
    if (n.table == "deleted_messages") n.source += kept;
    report.counts.push_back(std::move(n));
  }
  return report;
}

}  // namespace

expected<copy_report> copy_to_postgres(const std::string& sqlite_path,
                                       const std::string& postgres_url,
                                       const copy_options& options) {
  try {
    return run_copy(sqlite_path, postgres_url, options);
  } catch (const copy_error& e) {
    return make_error(e.code, e.what());
  } catch (const pqxx::broken_connection& e) {
    return make_error(errc::unavailable, std::string("postgres: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(errc::internal, e.what());
  }
}

}  // namespace relay::storage
