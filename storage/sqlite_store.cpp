#include "storage/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_statement.hpp"

namespace relay::storage {

namespace detail {

void sqlite_db_close::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}

void sqlite_stmt_finalize::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

}  // namespace detail

using detail::statement;

namespace {

constexpr int busy_timeout_ms = 5000;

// -- SQL ----------------------------------------------------------------------

const std::string user_cols =
    "SELECT u.id, u.login, u.name, u.avatar_url, u.email, u.github_id, u.created_at ";

// Bots may post under ids that have no users row, hence the LEFT JOIN.
const std::string message_select =
    "SELECT m.id, m.room_id, m.channel_id, m.seq, m.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), m.content,"
    " COALESCE(m.client_msg_id, ''), m.created_at, m.edited_at, COALESCE(m.thread_id, ''),"
    " COALESCE(m.bot, '') FROM messages m LEFT JOIN users u ON u.id = m.author_id ";

const std::string sql_begin = "BEGIN IMMEDIATE";
const std::string sql_commit = "COMMIT";
const std::string sql_rollback = "ROLLBACK";
const std::string sql_savepoint = "SAVEPOINT relay_append";
const std::string sql_release = "RELEASE relay_append";
const std::string sql_rollback_to = "ROLLBACK TO relay_append";
const std::string sql_savepoint_write = "SAVEPOINT relay_write";
const std::string sql_release_write = "RELEASE relay_write";
const std::string sql_rollback_to_write = "ROLLBACK TO relay_write";

const std::string sql_insert_user =
    "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
    " VALUES (?, ?, ?, '', ?, NULL, ?)";
// Logins are identities without case (core/login.hpp); the unique index on users.login
// COLLATE NOCASE answers this.
const std::string sql_user_by_login = user_cols + "FROM users u WHERE u.login = ? COLLATE NOCASE";
const std::string sql_user_by_id = user_cols + "FROM users u WHERE u.id = ?";
const std::string sql_user_by_github_id = user_cols + "FROM users u WHERE u.github_id = ?";
const std::string sql_login_taken = "SELECT 1 FROM users WHERE login = ? COLLATE NOCASE LIMIT 1";
const std::string sql_insert_oauth_user =
    "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
// GitHub reports no email for accounts that hide it; keep the one we know then.
const std::string sql_refresh_oauth_user =
    "UPDATE users SET name = ?, avatar_url = ?, email = COALESCE(NULLIF(?, ''), email)"
    " WHERE id = ?";
const std::string sql_user_by_token = user_cols +
                                      ", t.id FROM tokens t JOIN users u ON u.id = t.user_id WHERE "
                                      "t.hash = ? AND t.revoked_at IS NULL AND "
                                      "(t.expires_at IS NULL OR t.expires_at > ?)";

const std::string sql_insert_token =
    "INSERT INTO tokens (id, user_id, name, hash, created_at, revoked_at, kind, expires_at)"
    " VALUES (?, ?, ?, ?, ?, NULL, ?, ?)";
const std::string sql_list_tokens =
    "SELECT id, user_id, name, created_at, revoked_at, kind, expires_at FROM tokens"
    " WHERE user_id = ? AND kind = 'api' ORDER BY created_at, id";
const std::string sql_revoke_token =
    "UPDATE tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL";

const std::string room_cols =
    "id, slug, display_name, description, accent_colors, avatar_url, owner_id, whitelist_only,"
    " created_at";
const std::string sql_room_by_slug = "SELECT " + room_cols + " FROM rooms WHERE slug = ?";
const std::string sql_room_by_id = "SELECT " + room_cols + " FROM rooms WHERE id = ?";
const std::string sql_insert_room =
    "INSERT INTO rooms (" + room_cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string sql_list_channels =
    "SELECT id, room_id, slug, name, visibility, created_by, created_at FROM channels"
    " WHERE room_id = ? ORDER BY created_at, id";
const std::string sql_insert_channel =
    "INSERT INTO channels (id, room_id, slug, name, visibility, created_by, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
const std::string sql_insert_channel_member =
    "INSERT INTO channel_members (channel_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
// The channel row goes first: it is a write (so a standalone savepoint takes the write
// lock before reading anything) and it names the room the other rows are keyed by.
const std::string sql_delete_channel_row = "DELETE FROM channels WHERE id = ? RETURNING room_id";
const std::string sql_delete_channel_members = "DELETE FROM channel_members WHERE channel_id = ?";
const std::string sql_delete_channel_messages =
    "DELETE FROM messages WHERE room_id = ? AND channel_id = ?";
const std::string sql_delete_channel_seq =
    "DELETE FROM channel_seqs WHERE room_id = ? AND channel_id = ?";
const std::string sql_list_channel_members =
    "SELECT cm.channel_id, cm.user_id FROM channel_members cm"
    " JOIN channels c ON c.id = cm.channel_id WHERE c.room_id = ?"
    " ORDER BY cm.channel_id, cm.user_id";
// Whitelist entries match users by login or email without case; each arm of the union
// can use its own index.
const std::string sql_list_room_members =
    "WITH ids (id) AS ("
    " SELECT author_id FROM messages WHERE room_id = ?1"
    " UNION SELECT cm.user_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id"
    "  WHERE c.room_id = ?1"
    " UNION SELECT owner_id FROM rooms WHERE id = ?1 AND owner_id IS NOT NULL"
    " UNION SELECT wu.id FROM whitelist w JOIN users wu ON wu.login = w.login COLLATE NOCASE"
    "  WHERE w.room_id = ?1"
    " UNION SELECT wu.id FROM whitelist w JOIN users wu ON wu.email = w.email COLLATE NOCASE"
    "  WHERE w.room_id = ?1) " +
    user_cols + "FROM ids JOIN users u ON u.id = ids.id ORDER BY u.login COLLATE NOCASE, u.id";

// login and email are NULL when unset so the per-room unique indexes only bind real values.
const std::string whitelist_cols =
    "id, room_id, COALESCE(login, ''), COALESCE(email, ''), note, added_by, created_at";
const std::string sql_list_whitelist =
    "SELECT " + whitelist_cols + " FROM whitelist WHERE room_id = ? ORDER BY created_at, id";
const std::string sql_insert_whitelist =
    "INSERT INTO whitelist (id, room_id, login, email, note, added_by, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
// Approving someone already listed (e.g. added by hand meanwhile) keeps the existing entry.
const std::string sql_insert_whitelist_if_absent = sql_insert_whitelist + " ON CONFLICT DO NOTHING";
const std::string sql_remove_whitelist =
    "DELETE FROM whitelist WHERE id = ? AND room_id = ? RETURNING " + whitelist_cols;

const std::string access_request_select =
    "SELECT r.id, r.room_id, r.user_id, COALESCE(u.login, ''), r.note, r.state, r.created_at,"
    " r.decided_at, r.decided_by FROM access_requests r LEFT JOIN users u ON u.id = r.user_id ";
const std::string sql_access_request_by_id = access_request_select + "WHERE r.id = ?";
const std::string sql_list_access_requests =
    access_request_select + "WHERE r.room_id = ? ORDER BY r.created_at, r.id";
const std::string sql_list_access_requests_in_state =
    access_request_select + "WHERE r.room_id = ? AND r.state = ? ORDER BY r.created_at, r.id";
const std::string sql_insert_access_request =
    "INSERT INTO access_requests (id, room_id, user_id, note, state, created_at, decided_at,"
    " decided_by) VALUES (?, ?, ?, ?, 'pending', ?, NULL, '')";
const std::string sql_decide_access_request =
    "UPDATE access_requests SET state = ?, decided_at = ?, decided_by = ?"
    " WHERE id = ? AND room_id = ? AND state = 'pending'";

const std::string sql_insert_notification =
    "INSERT INTO notifications (id, user_id, kind, room_id, ref_id, body, state, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const std::string sql_list_notifications =
    "SELECT id, user_id, kind, room_id, ref_id, body, state, created_at FROM notifications"
    " WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?";

const std::string sql_message_by_id = message_select + "WHERE m.id = ?";
const std::string sql_message_by_client_id =
    message_select + "WHERE m.author_id = ? AND m.client_msg_id = ?";
// Same columns as message_select; the content of a deleted message is gone.
const std::string sql_deleted_by_client_id =
    "SELECT d.id, d.room_id, d.channel_id, d.seq, d.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), '', d.client_msg_id, d.created_at,"
    " NULL, '', COALESCE(d.bot, '') FROM deleted_messages d LEFT JOIN users u ON u.id ="
    " d.author_id WHERE d.author_id = ? AND d.client_msg_id = ?";
const std::string sql_keep_client_id =
    "INSERT OR REPLACE INTO deleted_messages (author_id, client_msg_id, id, room_id, channel_id,"
    " seq, created_at, bot, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string sql_author_by_id =
    "SELECT COALESCE(login, ''), COALESCE(name, ''), COALESCE(avatar_url, '') FROM users"
    " WHERE id = ?";
const std::string sql_channel_seq =
    "SELECT last_seq, reserved FROM channel_seqs WHERE room_id = ? AND channel_id = ?";
const std::string sql_store_seq =
    "INSERT INTO channel_seqs (room_id, channel_id, last_seq, reserved) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (room_id, channel_id) DO UPDATE SET last_seq = excluded.last_seq,"
    " reserved = excluded.reserved";
const std::string sql_skip_reserved =
    "UPDATE channel_seqs SET last_seq = reserved WHERE reserved > last_seq";
const std::string sql_release_reserved =
    "UPDATE channel_seqs SET reserved = last_seq WHERE reserved > last_seq";
const std::string sql_insert_message =
    "INSERT INTO messages (id, room_id, channel_id, seq, author_id, content, client_msg_id,"
    " created_at, edited_at, thread_id, bot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)";
const std::string sql_edit_message = "UPDATE messages SET content = ?, edited_at = ? WHERE id = ?";
const std::string sql_delete_message = "DELETE FROM messages WHERE id = ?";
const std::string sql_after_seq =
    message_select +
    "WHERE m.room_id = ? AND m.channel_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?";
const std::string sql_tail =
    message_select + "WHERE m.room_id = ? AND m.channel_id = ? ORDER BY m.seq DESC LIMIT ?";
const std::string sql_last_seq =
    "SELECT last_seq FROM channel_seqs WHERE room_id = ? AND channel_id = ?";

const std::string agent_cols = "agent_id, name, description, created_at, last_seen, events_served";
const std::string sql_insert_agent =
    "INSERT INTO agents (" + agent_cols + ", token_hash) VALUES (?, ?, ?, ?, ?, ?, ?)";
const std::string sql_rotate_agent_token = "UPDATE agents SET token_hash = ? WHERE agent_id = ?";
const std::string sql_agent_by_token = "SELECT " + agent_cols + " FROM agents WHERE token_hash = ?";
const std::string sql_agent_by_id = "SELECT " + agent_cols + " FROM agents WHERE agent_id = ?";
const std::string sql_list_agents = "SELECT " + agent_cols + " FROM agents ORDER BY agent_id";
const std::string sql_touch_agent =
    "UPDATE agents SET last_seen = ?, events_served = events_served + ? WHERE agent_id = ?";

const std::string sql_insert_app =
    "INSERT INTO apps (app_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)";
// One statement per read, so an app and its allowlist come from the same snapshot; an
// app without entries yields one row with a NULL agent_id.
const std::string app_select =
    "SELECT a.app_id, a.name, a.created_at, l.agent_id FROM apps a"
    " LEFT JOIN app_allowlist l ON l.app_id = a.app_id ";
const std::string sql_app_by_token = app_select + "WHERE a.token_hash = ? ORDER BY l.agent_id";
const std::string sql_app_by_id = app_select + "WHERE a.app_id = ? ORDER BY l.agent_id";
const std::string sql_list_apps = app_select + "ORDER BY a.app_id, l.agent_id";
const std::string sql_app_exists = "SELECT 1 FROM apps WHERE app_id = ?";
const std::string sql_insert_allowlist =
    "INSERT INTO app_allowlist (app_id, agent_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
const std::string sql_clear_allowlist = "DELETE FROM app_allowlist WHERE app_id = ?";

// The login check and the insert are one statement: it is a write, so a standalone
// savepoint takes the write lock before it reads whether the login is taken (without
// case, which users.login's own UNIQUE does not cover). No row inserted = taken.
const std::string sql_insert_bot_user =
    "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
    " SELECT ?1, ?2, ?3, '', '', NULL, ?4"
    " WHERE NOT EXISTS (SELECT 1 FROM users WHERE login = ?2 COLLATE NOCASE)";
const std::string sql_agent_exists = "SELECT 1 FROM agents WHERE agent_id = ?";
const std::string sql_insert_bot =
    "INSERT INTO room_bots (room_id, user_id, agent_id, prefix, created_at)"
    " VALUES (?, ?, ?, ?, ?)";
// The user's columns come first so read_user() reads them.
const std::string sql_list_bots = user_cols +
                                  ", b.room_id, b.agent_id, b.prefix, b.created_at FROM room_bots b"
                                  " JOIN users u ON u.id = b.user_id WHERE b.room_id = ?"
                                  " ORDER BY u.login COLLATE NOCASE, u.id";

const std::string sql_health = "SELECT 1";

// -- helpers ------------------------------------------------------------------

errc classify(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return errc::not_found;
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return errc::conflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      return errc::unavailable;
    default:
      return errc::internal;
  }
}

user_row read_user(const statement& st) {
  user_row u;
  u.id = st.text(0);
  u.login = st.text(1);
  u.name = st.text(2);
  u.avatar_url = st.text(3);
  u.email = st.text(4);
  u.github_id = st.opt_int64(5);
  u.created_at = st.int64(6);
  return u;
}

room_row read_room(const statement& st) {
  room_row r;
  r.id = st.text(0);
  r.slug = st.text(1);
  r.display_name = st.text(2);
  r.description = st.text(3);
  r.accent_colors = st.text(4);
  r.avatar_url = st.text(5);
  r.owner_id = st.opt_text(6);
  r.whitelist_only = st.int64(7) != 0;
  r.created_at = st.int64(8);
  return r;
}

whitelist_row read_whitelist(const statement& st) {
  whitelist_row w;
  w.id = st.text(0);
  w.room_id = st.text(1);
  w.login = st.text(2);
  w.email = st.text(3);
  w.note = st.text(4);
  w.added_by = st.text(5);
  w.created_at = st.int64(6);
  return w;
}

access_request_row read_access_request(const statement& st) {
  access_request_row r;
  r.id = st.text(0);
  r.room_id = st.text(1);
  r.user_id = st.text(2);
  r.login = st.text(3);
  r.note = st.text(4);
  r.state = st.text(5);
  r.created_at = st.int64(6);
  r.decided_at = st.opt_int64(7);
  r.decided_by = st.text(8);
  return r;
}

notification_row read_notification(const statement& st) {
  notification_row n;
  n.id = st.text(0);
  n.user_id = st.text(1);
  n.kind = st.text(2);
  n.room_id = st.text(3);
  n.ref_id = st.text(4);
  n.body = st.text(5);
  n.state = st.text(6);
  n.created_at = st.int64(7);
  return n;
}

agent_row read_agent(const statement& st) {
  agent_row a;
  a.agent_id = st.text(0);
  a.name = st.text(1);
  a.description = st.text(2);
  a.created_at = st.int64(3);
  a.last_seen = st.opt_int64(4);
  a.events_served = st.int64(5);
  return a;
}

/// Agent and app ids: 1..64 of a-z A-Z 0-9 - _ .
bool valid_relay_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

bool is_constraint(int rc) {
  return (rc & 0xff) == SQLITE_CONSTRAINT;
}

std::string ascii_lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

message_row read_message(const statement& st) {
  message_row m;
  m.id = st.text(0);
  m.room_id = st.text(1);
  m.channel_id = st.text(2);
  m.seq = st.int64(3);
  m.author.id = st.text(4);
  m.author.login = st.text(5);
  m.author.name = st.text(6);
  m.author.avatar_url = st.text(7);
  m.content = st.text(8);
  m.client_msg_id = st.text(9);
  m.created_at = st.int64(10);
  m.edited_at = st.opt_int64(11);
  m.thread_id = st.text(12);
  m.bot = st.text(13);
  return m;
}

[[noreturn]] void open_failure(const std::string& path, const std::string& what, sqlite3* db) {
  throw std::runtime_error("sqlite_store: " + what + " (" + path +
                           "): " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

// Switching to WAL needs an exclusive lock for a moment; when several processes open
// a new file at once the pragma can report SQLITE_BUSY without consulting the busy
// handler, so retry it for as long as the busy timeout would have waited.
void enable_wal(sqlite3* db, const std::string& path) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds{busy_timeout_ms};
  for (;;) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &raw, nullptr) != SQLITE_OK)
      open_failure(path, "cannot enable WAL", db);
    detail::sqlite_stmt_ptr stmt{raw};
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW) {
      const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
      const std::string_view m = mode != nullptr ? mode : "";
      if (m == "wal" || m == "memory") return;  // ":memory:" databases cannot use WAL
      throw std::runtime_error("sqlite_store: cannot enable WAL (" + path + "): journal_mode is " +
                               std::string{m});
    }
    const int primary = rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() >= deadline)
      open_failure(path, "cannot enable WAL", db);
    stmt.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

void exec_or_throw(sqlite3* db, const char* sql, const std::string& path) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
    open_failure(path, std::string{"cannot run "} + sql, db);
}

}  // namespace

// -- lifetime -------------------------------------------------------------------

sqlite_store::sqlite_store(const std::string& path, bool read_only,
                           const std::string& synchronous) {
  const char* sync_pragma = nullptr;
  if (synchronous == "full")
    sync_pragma = "PRAGMA synchronous=FULL";
  else if (synchronous == "normal")
    sync_pragma = "PRAGMA synchronous=NORMAL";
  else
    throw std::runtime_error("sqlite_store: synchronous must be \"full\" or \"normal\", got \"" +
                             synchronous + "\"");

  // read_only still opens read-write: WAL readers must be able to create the -shm file.
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);  // sqlite3_open_v2 returns a handle to close even on failure
  if (rc != SQLITE_OK) open_failure(path, "cannot open database", raw);

  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  enable_wal(raw, path);
  exec_or_throw(raw, sync_pragma, path);
  exec_or_throw(raw, "PRAGMA foreign_keys=ON", path);

  if (!read_only) {
    try {
      migrate(raw);
    } catch (const std::exception& e) {
      throw std::runtime_error("sqlite_store: cannot migrate " + path + ": " + e.what());
    }
  }
}

sqlite_store::~sqlite_store() = default;

std::string sqlite_store::db_path(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  return (std::filesystem::path{data_dir} / "relay.db").string();
}

// -- plumbing -------------------------------------------------------------------

statement sqlite_store::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                           SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
      record("prepare");
      return {};
    }
    it = cache_.emplace(sql, cached_stmt{detail::sqlite_stmt_ptr{raw}, false}).first;
  }
  if (it->second.in_use) return prepare_uncached(sql);
  return statement{it->second.stmt.get(), &it->second.in_use};
}

statement sqlite_store::prepare_uncached(const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1), &raw, nullptr) !=
      SQLITE_OK) {
    record("prepare");
    return {};
  }
  return statement{detail::sqlite_stmt_ptr{raw}};
}

bool sqlite_store::run(const std::string& sql, const char* what) {
  auto st = prepare(sql);
  if (!st) return false;
  if (st.step() != SQLITE_DONE) {
    record(what);
    return false;
  }
  return true;
}

void sqlite_store::record(const char* what) {
  const int rc = sqlite3_extended_errcode(db_.get());
  record(classify(rc), std::string{what} + ": " + sqlite3_errmsg(db_.get()));
}

void sqlite_store::record(errc code, std::string message) {
  // Keep the first failure of a call: cleanup steps after it must not mask the cause.
  if (!last_error_) last_error_ = {code, std::move(message)};
}

bool sqlite_store::open_savepoint() {
  return run(sql_savepoint_write, "savepoint");
}

bool sqlite_store::release_savepoint() {
  if (run(sql_release_write, "release savepoint")) return true;
  undo_savepoint();
  return false;
}

void sqlite_store::undo_savepoint() {
  // Both can fail when SQLite already rolled the whole transaction back (e.g. on
  // SQLITE_FULL); record() keeps the original cause.
  run(sql_rollback_to_write, "rollback to savepoint");
  run(sql_release_write, "release savepoint");
}

// -- transactions ---------------------------------------------------------------

void sqlite_store::begin() {
  last_error_ = {};
  run(sql_begin, "begin");
}

void sqlite_store::commit() {
  last_error_ = {};
  if (run(sql_commit, "commit")) return;
  // A failed COMMIT can leave the transaction open; roll it back so the connection
  // is usable and the next begin() does not silently nest into stale work.
  if (sqlite3_get_autocommit(db_.get()) == 0) run(sql_rollback, "rollback after failed commit");
}

void sqlite_store::rollback() {
  last_error_ = {};
  // SQLite may already have rolled back on an error (e.g. SQLITE_FULL); that is fine.
  if (sqlite3_get_autocommit(db_.get()) != 0) return;
  run(sql_rollback, "rollback");
}

// -- users and tokens -----------------------------------------------------------

result<user_row> sqlite_store::create_user(const std::string& login, const std::string& name,
                                           const std::string& email) {
  last_error_ = {};
  if (!valid_login(login)) {
    record(errc::bad_request, "a login is " + std::string{login_rule});
    return result<user_row>::fail(last_error_.code, last_error_.message);
  }
  user_row u;
  u.id = make_id("usr");
  u.login = login;
  u.name = name;
  u.email = email;
  u.created_at = now_ms();
  auto st = prepare(sql_insert_user);
  if (!st) return result<user_row>::fail(last_error_.code, last_error_.message);
  st.bind(u.id).bind(u.login).bind(u.name).bind(u.email).bind(u.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return result<user_row>::ok(std::move(u));
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    record(errc::conflict, "login " + login + " is taken (logins ignore case)");
  } else {
    record("create user");
  }
  return result<user_row>::fail(last_error_.code, last_error_.message);
}

std::optional<user_row> sqlite_store::find_user_by_login(const std::string& login) {
  last_error_ = {};
  auto st = prepare(sql_user_by_login);
  if (!st) return std::nullopt;
  st.bind(login);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_user(st);
  if (rc != SQLITE_DONE) record("find user by login");
  return std::nullopt;
}

std::optional<user_row> sqlite_store::find_user(const std::string& id) {
  last_error_ = {};
  auto st = prepare(sql_user_by_id);
  if (!st) return std::nullopt;
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_user(st);
  if (rc != SQLITE_DONE) record("find user");
  return std::nullopt;
}

std::optional<user_row> sqlite_store::fetch_user_by_github_id(std::int64_t github_id) {
  auto st = prepare(sql_user_by_github_id);
  if (!st) return std::nullopt;
  st.bind(github_id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_user(st);
  if (rc != SQLITE_DONE) record("find user by github id");
  return std::nullopt;
}

std::vector<user_row> sqlite_store::read_users(statement& st, const char* what) {
  std::vector<user_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_user(st));
  if (rc != SQLITE_DONE) {
    record(what);
    out.clear();
  }
  return out;
}

result<user_row> sqlite_store::upsert_oauth_user(const oauth_profile& p) {
  last_error_ = {};
  auto failed = [this] { return result<user_row>::fail(last_error_.code, last_error_.message); };
  if (p.github_id == 0 || p.login.empty()) {
    record(errc::missing_field, "github_id and login are required");
    return failed();
  }
  // The provider's word is not trusted: its login goes into URLs, mentions and logs.
  if (!valid_login(p.login)) {
    record(errc::bad_request, "the provider's login is not " + std::string{login_rule});
    return failed();
  }

  if (auto known = fetch_user_by_github_id(p.github_id)) {
    // The login stays: it names the user in URLs, mentions and whitelists.
    {
      auto st = prepare(sql_refresh_oauth_user);
      if (!st) return failed();
      st.bind(p.name).bind(p.avatar_url).bind(p.email).bind(known->id);
      if (st.step() != SQLITE_DONE) {
        record("refresh user");
        return failed();
      }
    }
    auto fresh = find_user(known->id);
    if (!fresh) {
      record(errc::internal, "refreshed user not found");
      return failed();
    }
    return result<user_row>::ok(std::move(*fresh));
  }
  if (last_error_) return failed();

  user_row u;
  u.id = make_id("usr");
  u.login = p.login;
  u.name = p.name;
  u.avatar_url = p.avatar_url;
  u.email = p.email;
  u.github_id = p.github_id;
  u.created_at = now_ms();
  {
    auto st = prepare(sql_login_taken);
    if (!st) return failed();
    st.bind(p.login);
    const int rc = st.step();
    if (rc == SQLITE_ROW) {
      u.login = login_with_suffix(p.login, std::to_string(p.github_id));
    } else if (rc != SQLITE_DONE) {
      record("check login");
      return failed();
    }
  }
  auto st = prepare(sql_insert_oauth_user);
  if (!st) return failed();
  st.bind(u.id).bind(u.login).bind(u.name).bind(u.avatar_url).bind(u.email).bind(p.github_id);
  st.bind(u.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return result<user_row>::ok(std::move(u));
  if (is_constraint(rc))
    record(errc::conflict,
           "login " + u.login + " or github id " + std::to_string(p.github_id) + " is taken");
  else
    record("create oauth user");
  return failed();
}

std::vector<user_row> sqlite_store::find_users_by_logins(const std::vector<std::string>& logins) {
  last_error_ = {};
  // One lower-cased copy of each login; "Alice" and "alice" ask for the same users.
  std::vector<std::string> wanted;
  wanted.reserve(logins.size());
  for (const auto& l : logins)
    if (!l.empty()) wanted.push_back(ascii_lower(l));
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

  // Chunks keep each statement under SQLite's bound-parameter limit. The IN list varies
  // in length, so it is not cached.
  constexpr std::size_t chunk = 500;
  std::vector<user_row> out;
  for (std::size_t at = 0; at < wanted.size(); at += chunk) {
    const std::size_t n = std::min(chunk, wanted.size() - at);
    std::string sql = user_cols + "FROM users u WHERE u.login COLLATE NOCASE IN (";
    for (std::size_t i = 0; i < n; ++i) sql += i == 0 ? "?" : ", ?";
    sql += ')';
    auto st = prepare_uncached(sql);
    if (!st) return {};
    for (std::size_t i = 0; i < n; ++i) st.bind(wanted[at + i]);
    auto part = read_users(st, "find users by logins");
    if (last_error_) return {};
    out.insert(out.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  std::sort(out.begin(), out.end(), [](const user_row& a, const user_row& b) {
    const auto la = ascii_lower(a.login);
    const auto lb = ascii_lower(b.login);
    return la != lb ? la < lb : a.id < b.id;
  });
  return out;
}

token_row sqlite_store::create_token(const std::string& user_id, const std::string& name,
                                     const std::string& token_hash, const std::string& kind,
                                     std::optional<std::int64_t> expires_at) {
  last_error_ = {};
  if (kind != "api" && kind != "session") {
    record(errc::bad_request, "token kind must be \"api\" or \"session\", got \"" + kind + "\"");
    return {};
  }
  token_row t;
  t.id = make_id("tok");
  t.user_id = user_id;
  t.name = name;
  t.created_at = now_ms();
  t.kind = kind;
  t.expires_at = expires_at;
  auto st = prepare(sql_insert_token);
  if (!st) return {};
  st.bind(t.id).bind(t.user_id).bind(t.name).bind(token_hash).bind(t.created_at).bind(t.kind);
  if (expires_at)
    st.bind(*expires_at);
  else
    st.bind_null();
  if (st.step() != SQLITE_DONE) {
    record("create token");
    return {};
  }
  return t;
}

std::optional<user_row> sqlite_store::find_user_by_token_hash(const std::string& token_hash) {
  auto c = find_credential(token_hash);
  if (!c) return std::nullopt;
  return std::move(c->user);
}

std::optional<credential> sqlite_store::find_credential(const std::string& token_hash) {
  last_error_ = {};
  auto st = prepare(sql_user_by_token);
  if (!st) return std::nullopt;
  st.bind(token_hash).bind(now_ms());
  const int rc = st.step();
  if (rc == SQLITE_ROW) return credential{read_user(st), st.text(7)};
  if (rc != SQLITE_DONE) record("find user by token");
  return std::nullopt;
}

std::vector<token_row> sqlite_store::list_tokens(const std::string& user_id) {
  last_error_ = {};
  std::vector<token_row> out;
  auto st = prepare(sql_list_tokens);
  if (!st) return out;
  st.bind(user_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    token_row t;
    t.id = st.text(0);
    t.user_id = st.text(1);
    t.name = st.text(2);
    t.created_at = st.int64(3);
    t.revoked_at = st.opt_int64(4);
    t.kind = st.text(5);
    t.expires_at = st.opt_int64(6);
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) {
    record("list tokens");
    out.clear();
  }
  return out;
}

bool sqlite_store::revoke_token(const std::string& user_id, const std::string& token_id) {
  last_error_ = {};
  auto st = prepare(sql_revoke_token);
  if (!st) return false;
  st.bind(now_ms()).bind(token_id).bind(user_id);
  if (st.step() != SQLITE_DONE) {
    record("revoke token");
    return false;
  }
  return sqlite3_changes(db_.get()) == 1;
}

// -- rooms and channels ---------------------------------------------------------

std::optional<room_row> sqlite_store::find_room_by_slug(const std::string& slug) {
  last_error_ = {};
  auto st = prepare(sql_room_by_slug);
  if (!st) return std::nullopt;
  st.bind(slug);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_room(st);
  if (rc != SQLITE_DONE) record("find room");
  return std::nullopt;
}

std::optional<room_row> sqlite_store::fetch_room(const std::string& id) {
  auto st = prepare(sql_room_by_id);
  if (!st) return std::nullopt;
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_room(st);
  if (rc != SQLITE_DONE) record("find room");
  return std::nullopt;
}

result<room_row> sqlite_store::create_room(const room_row& row) {
  last_error_ = {};
  auto failed = [this] { return result<room_row>::fail(last_error_.code, last_error_.message); };
  if (row.slug.empty()) {
    record(errc::missing_field, "slug is empty");
    return failed();
  }
  room_row r = row;
  if (r.id.empty()) r.id = make_id("room");
  if (r.created_at == 0) r.created_at = now_ms();
  if (r.accent_colors.empty()) r.accent_colors = "[]";
  auto st = prepare(sql_insert_room);
  if (!st) return failed();
  st.bind(r.id).bind(r.slug).bind(r.display_name).bind(r.description).bind(r.accent_colors);
  st.bind(r.avatar_url);
  if (r.owner_id)
    st.bind(*r.owner_id);
  else
    st.bind_null();
  st.bind(static_cast<std::int64_t>(r.whitelist_only ? 1 : 0)).bind(r.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return result<room_row>::ok(std::move(r));
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    record(errc::not_found, "room owner does not exist");
  else if (is_constraint(rc))
    record(errc::conflict, "room slug " + r.slug + " is taken");
  else
    record("create room");
  return failed();
}

result<room_row> sqlite_store::update_room(const std::string& room_id, const room_patch& patch) {
  last_error_ = {};
  auto failed = [this] { return result<room_row>::fail(last_error_.code, last_error_.message); };
  if (patch.slug && patch.slug->empty()) {
    record(errc::missing_field, "slug is empty");
    return failed();
  }
  // At most 2^6 shapes, so the statements are cached like the fixed ones.
  std::string sets;
  auto add = [&sets](const char* col) {
    if (!sets.empty()) sets += ", ";
    sets += col;
    sets += " = ?";
  };
  if (patch.slug) add("slug");
  if (patch.display_name) add("display_name");
  if (patch.description) add("description");
  if (patch.accent_colors) add("accent_colors");
  if (patch.avatar_url) add("avatar_url");
  if (patch.whitelist_only) add("whitelist_only");

  if (!sets.empty()) {
    auto st = prepare("UPDATE rooms SET " + sets + " WHERE id = ?");
    if (!st) return failed();
    if (patch.slug) st.bind(*patch.slug);
    if (patch.display_name) st.bind(*patch.display_name);
    if (patch.description) st.bind(*patch.description);
    if (patch.accent_colors) st.bind(patch.accent_colors->empty() ? "[]" : *patch.accent_colors);
    if (patch.avatar_url) st.bind(*patch.avatar_url);
    if (patch.whitelist_only) st.bind(static_cast<std::int64_t>(*patch.whitelist_only ? 1 : 0));
    st.bind(room_id);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (is_constraint(rc))
        record(errc::conflict, "room slug " + patch.slug.value_or("") + " is taken");
      else
        record("update room");
      return failed();
    }
  }
  auto r = fetch_room(room_id);
  if (!r) {
    if (!last_error_) record(errc::not_found, "no such room");
    return failed();
  }
  return result<room_row>::ok(std::move(*r));
}

std::vector<channel_row> sqlite_store::list_channels(const std::string& room_id) {
  last_error_ = {};
  std::vector<channel_row> out;
  auto st = prepare(sql_list_channels);
  if (!st) return out;
  st.bind(room_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    channel_row c;
    c.id = st.text(0);
    c.room_id = st.text(1);
    c.slug = st.text(2);
    c.name = st.text(3);
    c.visibility = st.text(4);
    c.created_by = st.text(5);
    c.created_at = st.int64(6);
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) {
    record("list channels");
    out.clear();
  }
  return out;
}

result<channel_row> sqlite_store::create_channel(const channel_row& row,
                                                 const std::vector<std::string>& member_ids) {
  last_error_ = {};
  auto failed = [this] { return result<channel_row>::fail(last_error_.code, last_error_.message); };
  channel_row c = row;
  if (c.id.empty()) c.id = make_id("ch");
  if (c.created_at == 0) c.created_at = now_ms();

  if (!open_savepoint()) return failed();
  {
    auto st = prepare(sql_insert_channel);
    if (!st) {
      undo_savepoint();
      return failed();
    }
    st.bind(c.id).bind(c.room_id).bind(c.slug).bind(c.name).bind(c.visibility).bind(c.created_by);
    st.bind(c.created_at);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        record(errc::not_found, "room does not exist");
      else if (is_constraint(rc))
        record(errc::conflict, "channel slug " + c.slug + " is taken in this room");
      else
        record("create channel");
      undo_savepoint();
      return failed();
    }
  }
  for (const auto& user_id : member_ids) {
    auto st = prepare(sql_insert_channel_member);
    if (!st) {
      undo_savepoint();
      return failed();
    }
    st.bind(c.id).bind(user_id);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        record(errc::not_found, "channel member " + user_id + " does not exist");
      else
        record("add channel member");
      undo_savepoint();
      return failed();
    }
  }
  if (!release_savepoint()) return failed();
  return result<channel_row>::ok(std::move(c));
}

bool sqlite_store::delete_channel(const std::string& channel_id) {
  last_error_ = {};
  if (!open_savepoint()) return false;
  std::string room_id;
  {
    auto st = prepare(sql_delete_channel_row);
    if (!st) {
      undo_savepoint();
      return false;
    }
    st.bind(channel_id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) {  // no such channel: nothing was written
      release_savepoint();
      return false;
    }
    if (rc != SQLITE_ROW) {
      record("delete channel");
      undo_savepoint();
      return false;
    }
    room_id = st.text(0);
    if (st.step() != SQLITE_DONE) {
      record("delete channel");
      undo_savepoint();
      return false;
    }
  }
  // Members also go by ON DELETE CASCADE; deleting them here does not depend on it.
  const auto step = [this](const std::string& sql, std::initializer_list<std::string_view> args,
                           const char* what) {
    auto st = prepare(sql);
    if (!st) return false;
    for (auto a : args) st.bind(a);
    if (st.step() != SQLITE_DONE) {
      record(what);
      return false;
    }
    return true;
  };
  if (!step(sql_delete_channel_members, {channel_id}, "delete channel members") ||
      !step(sql_delete_channel_messages, {room_id, channel_id}, "delete channel messages") ||
      !step(sql_delete_channel_seq, {room_id, channel_id}, "delete channel seq")) {
    undo_savepoint();
    return false;
  }
  return release_savepoint();
}

std::vector<channel_member_row> sqlite_store::list_channel_members(const std::string& room_id) {
  last_error_ = {};
  std::vector<channel_member_row> out;
  auto st = prepare(sql_list_channel_members);
  if (!st) return out;
  st.bind(room_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back({st.text(0), st.text(1)});
  if (rc != SQLITE_DONE) {
    record("list channel members");
    out.clear();
  }
  return out;
}

std::vector<user_row> sqlite_store::list_room_members(const std::string& room_id) {
  last_error_ = {};
  auto st = prepare(sql_list_room_members);
  if (!st) return {};
  st.bind(room_id);
  return read_users(st, "list room members");
}

// -- whitelist and access requests ------------------------------------------------

std::vector<whitelist_row> sqlite_store::list_whitelist(const std::string& room_id) {
  last_error_ = {};
  std::vector<whitelist_row> out;
  auto st = prepare(sql_list_whitelist);
  if (!st) return out;
  st.bind(room_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_whitelist(st));
  if (rc != SQLITE_DONE) {
    record("list whitelist");
    out.clear();
  }
  return out;
}

result<whitelist_row> sqlite_store::add_whitelist(const whitelist_row& row) {
  last_error_ = {};
  auto failed = [this] {
    return result<whitelist_row>::fail(last_error_.code, last_error_.message);
  };
  if (row.room_id.empty() || (row.login.empty() && row.email.empty())) {
    record(errc::missing_field, "room_id and a login or an email are required");
    return failed();
  }
  whitelist_row w = row;
  if (w.id.empty()) w.id = make_id("wl");
  if (w.created_at == 0) w.created_at = now_ms();
  auto st = prepare(sql_insert_whitelist);
  if (!st) return failed();
  st.bind(w.id).bind(w.room_id).bind_text_or_null(w.login).bind_text_or_null(w.email);
  st.bind(w.note).bind(w.added_by).bind(w.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return result<whitelist_row>::ok(std::move(w));
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
    record(errc::not_found, "room does not exist");
  } else if (is_constraint(rc)) {
    // "UNIQUE constraint failed: whitelist.room_id, whitelist.login" names the column.
    const std::string_view why = sqlite3_errmsg(db_.get());
    if (why.find("whitelist.email") != std::string_view::npos)
      record(errc::conflict, "email " + w.email + " is already on this room's whitelist");
    else if (why.find("whitelist.login") != std::string_view::npos)
      record(errc::conflict, "login " + w.login + " is already on this room's whitelist");
    else
      record(errc::conflict, "this entry is already on this room's whitelist");
  } else {
    record("add whitelist entry");
  }
  return failed();
}

std::optional<whitelist_row> sqlite_store::remove_whitelist(const std::string& room_id,
                                                            const std::string& entry_id) {
  last_error_ = {};
  auto st = prepare(sql_remove_whitelist);
  if (!st) return std::nullopt;
  st.bind(entry_id).bind(room_id);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) {
    record("remove whitelist entry");
    return std::nullopt;
  }
  auto w = read_whitelist(st);
  if (st.step() != SQLITE_DONE) {
    record("remove whitelist entry");
    return std::nullopt;
  }
  return w;
}

std::optional<access_request_row> sqlite_store::fetch_access_request(const std::string& id) {
  auto st = prepare(sql_access_request_by_id);
  if (!st) return std::nullopt;
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_access_request(st);
  if (rc != SQLITE_DONE) record("find access request");
  return std::nullopt;
}

result<access_request_row> sqlite_store::create_access_request(const access_request_row& row) {
  last_error_ = {};
  auto failed = [this] {
    return result<access_request_row>::fail(last_error_.code, last_error_.message);
  };
  if (row.room_id.empty() || row.user_id.empty()) {
    record(errc::missing_field, "room_id and user_id are required");
    return failed();
  }
  const std::string id = row.id.empty() ? make_id("arq") : row.id;
  const std::int64_t created_at = row.created_at != 0 ? row.created_at : now_ms();
  {
    auto st = prepare(sql_insert_access_request);
    if (!st) return failed();
    st.bind(id).bind(row.room_id).bind(row.user_id).bind(row.note).bind(created_at);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        record(errc::not_found, "room or user does not exist");
      else if (is_constraint(rc))
        record(errc::conflict, "an access request for this room is already pending");
      else
        record("create access request");
      return failed();
    }
  }
  auto stored = fetch_access_request(id);
  if (!stored) {
    if (!last_error_) record(errc::internal, "created access request not found");
    return failed();
  }
  return result<access_request_row>::ok(std::move(*stored));
}

std::vector<access_request_row> sqlite_store::list_access_requests(const std::string& room_id,
                                                                   const std::string& state) {
  last_error_ = {};
  std::vector<access_request_row> out;
  auto st = prepare(state.empty() ? sql_list_access_requests : sql_list_access_requests_in_state);
  if (!st) return out;
  st.bind(room_id);
  if (!state.empty()) st.bind(state);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_access_request(st));
  if (rc != SQLITE_DONE) {
    record("list access requests");
    out.clear();
  }
  return out;
}

result<access_request_row> sqlite_store::decide_access_request(const std::string& room_id,
                                                               const std::string& request_id,
                                                               bool approve,
                                                               const std::string& decided_by,
                                                               std::int64_t decided_at) {
  last_error_ = {};
  auto failed = [this] {
    return result<access_request_row>::fail(last_error_.code, last_error_.message);
  };
  if (decided_at == 0) decided_at = now_ms();

  if (!open_savepoint()) return failed();
  // The state change comes first: it is a write, so a standalone savepoint takes the
  // write lock before it reads, and only a pending request changes.
  {
    auto st = prepare(sql_decide_access_request);
    if (!st) {
      undo_savepoint();
      return failed();
    }
    st.bind(approve ? "approved" : "denied").bind(decided_at).bind(decided_by);
    st.bind(request_id).bind(room_id);
    if (st.step() != SQLITE_DONE) {
      record("decide access request");
      undo_savepoint();
      return failed();
    }
  }
  if (sqlite3_changes(db_.get()) == 0) {
    release_savepoint();  // nothing was written
    auto existing = fetch_access_request(request_id);
    if (last_error_) return failed();
    if (!existing || existing->room_id != room_id)
      record(errc::not_found, "no such access request");
    else
      record(errc::conflict, "access request is already " + existing->state);
    return failed();
  }

  auto decided = fetch_access_request(request_id);
  if (!decided) {
    if (!last_error_) record(errc::internal, "decided access request not found");
    undo_savepoint();
    return failed();
  }
  if (approve) {
    if (decided->login.empty()) {
      record(errc::not_found, "the requester no longer exists");
      undo_savepoint();
      return failed();
    }
    auto st = prepare(sql_insert_whitelist_if_absent);
    if (!st) {
      undo_savepoint();
      return failed();
    }
    st.bind(make_id("wl")).bind(room_id).bind(decided->login).bind_null().bind("");
    st.bind(decided_by).bind(decided_at);
    if (st.step() != SQLITE_DONE) {
      record("whitelist approved requester");
      undo_savepoint();
      return failed();
    }
  }
  if (!release_savepoint()) return failed();
  return result<access_request_row>::ok(std::move(*decided));
}

// -- notifications ------------------------------------------------------------------

notification_row sqlite_store::create_notification(const notification_row& row) {
  last_error_ = {};
  if (row.user_id.empty() || row.kind.empty()) {
    record(errc::missing_field, "user_id and kind are required");
    return {};
  }
  notification_row n = row;
  if (n.id.empty()) n.id = make_id("ntf");
  if (n.created_at == 0) n.created_at = now_ms();
  if (n.state.empty()) n.state = "unread";
  if (n.body.empty()) n.body = "{}";
  auto st = prepare(sql_insert_notification);
  if (!st) return {};
  st.bind(n.id).bind(n.user_id).bind(n.kind).bind(n.room_id).bind(n.ref_id).bind(n.body);
  st.bind(n.state).bind(n.created_at);
  const int rc = st.step();
  if (rc != SQLITE_DONE) {
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      record(errc::not_found, "user does not exist");
    else
      record("create notification");
    return {};
  }
  return n;
}

std::vector<notification_row> sqlite_store::list_notifications(const std::string& user_id,
                                                               int limit) {
  last_error_ = {};
  std::vector<notification_row> out;
  if (limit <= 0) return out;
  auto st = prepare(sql_list_notifications);
  if (!st) return out;
  st.bind(user_id).bind(static_cast<std::int64_t>(std::min(limit, max_query_rows)));
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_notification(st));
  if (rc != SQLITE_DONE) {
    record("list notifications");
    out.clear();
  }
  return out;
}

// -- messages -------------------------------------------------------------------

std::optional<message_row> sqlite_store::fetch_message(const std::string& id) {
  auto st = prepare(sql_message_by_id);
  if (!st) return std::nullopt;
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_message(st);
  if (rc != SQLITE_DONE) record("find message");
  return std::nullopt;
}

std::optional<message_row> sqlite_store::find_duplicate(const std::string& author_id,
                                                        const std::string& client_msg_id) {
  for (auto* sql : {&sql_message_by_client_id, &sql_deleted_by_client_id}) {
    auto st = prepare(*sql);
    if (!st) return std::nullopt;
    st.bind(author_id).bind(client_msg_id);
    const int rc = st.step();
    if (rc == SQLITE_ROW) return read_message(st);
    if (rc != SQLITE_DONE) {
      record("find duplicate message");
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<message_row> sqlite_store::read_messages(statement& st, const char* what) {
  std::vector<message_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_message(st));
  if (rc != SQLITE_DONE) {
    record(what);
    out.clear();
  }
  return out;
}

append_result sqlite_store::append_message(const new_message& msg) {
  last_error_ = {};
  if (msg.room_id.empty() || msg.author_id.empty()) {
    record(errc::missing_field, "room_id and author_id are required");
    return {};
  }
  if (!msg.client_msg_id.empty()) {
    if (auto dup = find_duplicate(msg.author_id, msg.client_msg_id)) return {std::move(*dup), true};
    if (last_error_) return {};
  }

  // The answer is the row as stored, built from what is bound rather than read back
  // by id afterwards; only the author's profile comes from the store, read first so
  // that a failure there writes nothing.
  message_row m;
  m.author.id = msg.author_id;
  {
    auto st = prepare(sql_author_by_id);
    if (!st) return {};
    st.bind(msg.author_id);
    const int rc = st.step();
    if (rc == SQLITE_ROW) {
      m.author.login = st.text(0);
      m.author.name = st.text(1);
      m.author.avatar_url = st.text(2);
    } else if (rc != SQLITE_DONE) {
      record("message author");
      return {};
    }
  }

  // Inside the caller's transaction nothing is written before the insert has
  // succeeded (the seq is read, the row inserted, then the seq stored), so a rejected
  // insert needs no undo. A savepoint would make SQLite copy every page the batch had
  // already dirtied into its statement journal on each append (malloc, memcpy, heap
  // trims): half of an append's CPU. On its own (autocommit) the savepoint keeps the
  // row and its seq one atomic step.
  const bool own_step = sqlite3_get_autocommit(db_.get()) != 0;
  if (own_step && !run(sql_savepoint, "savepoint")) return {};
  auto undo = [this, own_step] {
    if (!own_step) return;
    run(sql_rollback_to, "rollback to savepoint");
    run(sql_release, "release savepoint");
  };

  const std::string id = msg.id.empty() ? make_id("msg") : msg.id;
  const std::int64_t created_at = msg.created_at != 0 ? msg.created_at : now_ms();

  std::int64_t seq = 0;
  std::int64_t reserved = 0;
  {
    auto st = prepare(sql_channel_seq);
    if (!st) {
      undo();
      return {};
    }
    st.bind(msg.room_id).bind(msg.channel_id);
    const int rc = st.step();
    if (rc == SQLITE_ROW) {
      seq = st.int64(0);
      reserved = st.int64(1);
    } else if (rc != SQLITE_DONE) {
      record("next seq");
      undo();
      return {};
    }
  }
  seq = std::max(seq, msg.seq_floor) + 1;
  // Seqs are reserved a block ahead (append_result::reserved); a new block once this
  // one is used up.
  if (seq > reserved) reserved = seq + seq_reservation;

  int rc = SQLITE_OK;
  {
    auto st = prepare(sql_insert_message);
    if (!st) {
      undo();
      return {};
    }
    st.bind(id).bind(msg.room_id).bind(msg.channel_id).bind(seq).bind(msg.author_id);
    st.bind(msg.content).bind_text_or_null(msg.client_msg_id).bind(created_at);
    st.bind_text_or_null(msg.bot);
    rc = st.step();
    if (rc != SQLITE_DONE) record("insert message");
  }
  if (rc != SQLITE_DONE) {
    undo();
    // Lost a race with another connection appending the same client_msg_id (possible
    // only outside begin()): answer with the row that won.
    if ((rc & 0xff) == SQLITE_CONSTRAINT && !msg.client_msg_id.empty()) {
      const auto cause = std::exchange(last_error_, {});
      if (auto dup = find_duplicate(msg.author_id, msg.client_msg_id))
        return {std::move(*dup), true};
      last_error_ = cause;
    }
    return {};
  }
  {
    auto st = prepare(sql_store_seq);
    if (!st) {
      undo();
      return {};
    }
    st.bind(msg.room_id).bind(msg.channel_id).bind(seq).bind(reserved);
    if (st.step() != SQLITE_DONE) {
      // The row is in but its seq is not: only rolling the transaction back undoes it,
      // which callers do for internal errors.
      record(errc::internal, std::string{"store seq: "} + sqlite3_errmsg(db_.get()));
      undo();
      return {};
    }
  }
  if (own_step && !run(sql_release, "release savepoint")) {
    undo();
    return {};
  }

  m.id = id;
  m.room_id = msg.room_id;
  m.channel_id = msg.channel_id;
  m.seq = seq;
  m.content = msg.content;
  m.client_msg_id = msg.client_msg_id;
  m.created_at = created_at;
  m.bot = msg.bot;
  return {std::move(m), false, reserved};
}

std::optional<message_row> sqlite_store::find_message(const std::string& id) {
  last_error_ = {};
  return fetch_message(id);
}

std::optional<message_row> sqlite_store::edit_message(const std::string& id,
                                                      const std::string& content,
                                                      std::int64_t edited_at) {
  last_error_ = {};
  {
    auto st = prepare(sql_edit_message);
    if (!st) return std::nullopt;
    st.bind(content).bind(edited_at).bind(id);
    if (st.step() != SQLITE_DONE) {
      record("edit message");
      return std::nullopt;
    }
    if (sqlite3_changes(db_.get()) == 0) return std::nullopt;
  }
  return fetch_message(id);
}

std::optional<message_row> sqlite_store::delete_message(const std::string& id) {
  last_error_ = {};
  auto row = fetch_message(id);
  if (!row) return std::nullopt;
  if (!row->client_msg_id.empty()) {
    auto keep = prepare(sql_keep_client_id);
    if (!keep) return std::nullopt;
    keep.bind(row->author.id).bind(row->client_msg_id).bind(row->id).bind(row->room_id);
    keep.bind(row->channel_id).bind(row->seq).bind(row->created_at).bind_text_or_null(row->bot);
    keep.bind(now_ms());
    if (keep.step() != SQLITE_DONE) {
      record("keep the client id of a deleted message");
      return std::nullopt;
    }
  }
  auto st = prepare(sql_delete_message);
  if (!st) return std::nullopt;
  st.bind(id);
  if (st.step() != SQLITE_DONE) {
    record("delete message");
    return std::nullopt;
  }
  if (sqlite3_changes(db_.get()) == 0) return std::nullopt;
  return row;
}

std::vector<message_row> sqlite_store::list_messages(const message_query& q) {
  last_error_ = {};
  const std::int64_t limit = std::clamp(q.limit, 1, max_query_rows);
  if (q.channel_ids && q.channel_id &&
      std::find(q.channel_ids->begin(), q.channel_ids->end(), *q.channel_id) ==
          q.channel_ids->end())
    return {};

  if (q.after_seq) {
    if (!q.channel_id) {
      record(errc::bad_request, "after_seq requires channel_id");
      return {};
    }
    auto st = prepare(sql_after_seq);
    if (!st) return {};
    st.bind(q.room_id).bind(*q.channel_id).bind(*q.after_seq).bind(limit);
    return read_messages(st, "list messages after seq");
  }

  if (q.channel_ids && q.channel_ids->empty()) return {};

  std::string sql = message_select + "WHERE m.room_id = ?";
  if (q.channel_id) sql += " AND m.channel_id = ?";
  if (q.channel_ids) {
    sql += " AND m.channel_id IN (";
    for (std::size_t i = 0; i < q.channel_ids->size(); ++i) sql += i == 0 ? "?" : ", ?";
    sql += ')';
  }
  // before_id only breaks ties within before_created_at; on its own it cannot anchor.
  if (q.before_created_at)
    sql += q.before_id ? " AND (m.created_at, m.id) < (?, ?)" : " AND m.created_at < ?";
  sql += " ORDER BY m.created_at DESC, m.id DESC LIMIT ?";

  // The IN list varies with every caller's visibility set, so caching it would only
  // grow the cache; the other shapes are few and fixed.
  auto st = q.channel_ids ? prepare_uncached(sql) : prepare(sql);
  if (!st) return {};
  st.bind(q.room_id);
  if (q.channel_id) st.bind(*q.channel_id);
  if (q.channel_ids)
    for (const auto& c : *q.channel_ids) st.bind(c);
  if (q.before_created_at) {
    st.bind(*q.before_created_at);
    if (q.before_id) st.bind(*q.before_id);
  }
  st.bind(limit);
  return read_messages(st, "list messages");
}

std::vector<message_row> sqlite_store::tail(const std::string& room_id,
                                            const std::string& channel_id, int n) {
  last_error_ = {};
  if (n <= 0) return {};
  auto st = prepare(sql_tail);
  if (!st) return {};
  st.bind(room_id).bind(channel_id).bind(static_cast<std::int64_t>(n));
  auto out = read_messages(st, "tail");
  std::reverse(out.begin(), out.end());
  return out;
}

std::int64_t sqlite_store::last_seq(const std::string& room_id, const std::string& channel_id) {
  last_error_ = {};
  auto st = prepare(sql_last_seq);
  if (!st) return 0;
  st.bind(room_id).bind(channel_id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return st.int64(0);
  if (rc != SQLITE_DONE) record("last seq");
  return 0;
}

void sqlite_store::skip_reserved_seqs() {
  last_error_ = {};
  run(sql_skip_reserved, "skip reserved seqs");
}

void sqlite_store::release_reserved_seqs() {
  last_error_ = {};
  run(sql_release_reserved, "release reserved seqs");
}

// -- agent relay ----------------------------------------------------------------

result<agent_row> sqlite_store::create_agent(const agent_row& row, const std::string& token_hash) {
  last_error_ = {};
  auto failed = [this] { return result<agent_row>::fail(last_error_.code, last_error_.message); };
  if (!valid_relay_id(row.agent_id)) {
    record(errc::bad_request, "agent id must be 1 to 64 characters of a-z A-Z 0-9 - _ .");
    return failed();
  }
  if (token_hash.empty()) {
    record(errc::missing_field, "token hash is empty");
    return failed();
  }
  agent_row a = row;
  if (a.created_at == 0) a.created_at = now_ms();
  auto st = prepare(sql_insert_agent);
  if (!st) return failed();
  st.bind(a.agent_id).bind(a.name).bind(a.description).bind(a.created_at);
  if (a.last_seen)
    st.bind(*a.last_seen);
  else
    st.bind_null();
  st.bind(a.events_served).bind(token_hash);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return result<agent_row>::ok(std::move(a));
  if (is_constraint(rc)) {
    // "UNIQUE constraint failed: agents.token_hash" names the column.
    const std::string_view why = sqlite3_errmsg(db_.get());
    if (why.find("agents.token_hash") != std::string_view::npos)
      record(errc::conflict, "this token hash is already in use");
    else
      record(errc::conflict, "agent id " + a.agent_id + " is taken");
  } else {
    record("create agent");
  }
  return failed();
}

bool sqlite_store::rotate_agent_token(const std::string& agent_id, const std::string& token_hash) {
  last_error_ = {};
  if (token_hash.empty()) {
    record(errc::missing_field, "token hash is empty");
    return false;
  }
  auto st = prepare(sql_rotate_agent_token);
  if (!st) return false;
  st.bind(token_hash).bind(agent_id);
  const int rc = st.step();
  if (rc != SQLITE_DONE) {
    if (is_constraint(rc))
      record(errc::conflict, "this token hash is already in use");
    else
      record("rotate agent token");
    return false;
  }
  return sqlite3_changes(db_.get()) == 1;
}

std::optional<agent_row> sqlite_store::read_one_agent(const std::string& sql,
                                                      const std::string& key, const char* what) {
  last_error_ = {};
  auto st = prepare(sql);
  if (!st) return std::nullopt;
  st.bind(key);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_agent(st);
  if (rc != SQLITE_DONE) record(what);
  return std::nullopt;
}

std::optional<agent_row> sqlite_store::find_agent_by_token_hash(const std::string& token_hash) {
  return read_one_agent(sql_agent_by_token, token_hash, "find agent by token");
}

std::optional<agent_row> sqlite_store::find_agent(const std::string& agent_id) {
  return read_one_agent(sql_agent_by_id, agent_id, "find agent");
}

std::vector<agent_row> sqlite_store::list_agents() {
  last_error_ = {};
  std::vector<agent_row> out;
  auto st = prepare(sql_list_agents);
  if (!st) return out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_agent(st));
  if (rc != SQLITE_DONE) {
    record("list agents");
    out.clear();
  }
  return out;
}

void sqlite_store::touch_agent(const std::string& agent_id, std::int64_t last_seen,
                               std::int64_t served) {
  last_error_ = {};
  auto st = prepare(sql_touch_agent);
  if (!st) return;
  st.bind(last_seen).bind(served).bind(agent_id);
  if (st.step() != SQLITE_DONE) {
    record("touch agent");
    return;
  }
  if (sqlite3_changes(db_.get()) == 0) record(errc::not_found, "no such agent");
}

std::vector<app_row> sqlite_store::read_apps(statement& st, const char* what) {
  std::vector<app_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    std::string id = st.text(0);
    if (out.empty() || out.back().app_id != id) {
      app_row a;
      a.app_id = std::move(id);
      a.name = st.text(1);
      a.created_at = st.int64(2);
      out.push_back(std::move(a));
    }
    if (!st.is_null(3)) out.back().allowlist.push_back(st.text(3));
  }
  if (rc != SQLITE_DONE) {
    record(what);
    out.clear();
  }
  return out;
}

std::optional<app_row> sqlite_store::read_one_app(const std::string& sql, const std::string& key,
                                                  const char* what) {
  auto st = prepare(sql);
  if (!st) return std::nullopt;
  st.bind(key);
  auto apps = read_apps(st, what);
  if (apps.empty()) return std::nullopt;
  return std::move(apps.front());
}

bool sqlite_store::insert_allowlist(const std::string& app_id,
                                    const std::vector<std::string>& agent_ids) {
  for (const auto& agent_id : agent_ids) {
    auto st = prepare(sql_insert_allowlist);
    if (!st) return false;
    st.bind(app_id).bind(agent_id);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        record(errc::not_found, "agent " + agent_id + " does not exist");
      else
        record("add allowlist entry");
      return false;
    }
  }
  return true;
}

result<app_row> sqlite_store::create_app(const app_row& row, const std::string& token_hash) {
  last_error_ = {};
  auto failed = [this] { return result<app_row>::fail(last_error_.code, last_error_.message); };
  if (!valid_relay_id(row.app_id)) {
    record(errc::bad_request, "app id must be 1 to 64 characters of a-z A-Z 0-9 - _ .");
    return failed();
  }
  if (token_hash.empty()) {
    record(errc::missing_field, "token hash is empty");
    return failed();
  }
  const std::int64_t created_at = row.created_at != 0 ? row.created_at : now_ms();

  if (!open_savepoint()) return failed();
  {
    auto st = prepare(sql_insert_app);
    if (!st) {
      undo_savepoint();
      return failed();
    }
    st.bind(row.app_id).bind(row.name).bind(token_hash).bind(created_at);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (is_constraint(rc)) {
        const std::string_view why = sqlite3_errmsg(db_.get());
        if (why.find("apps.token_hash") != std::string_view::npos)
          record(errc::conflict, "this token hash is already in use");
        else
          record(errc::conflict, "app id " + row.app_id + " is taken");
      } else {
        record("create app");
      }
      undo_savepoint();
      return failed();
    }
  }
  if (!insert_allowlist(row.app_id, row.allowlist)) {
    undo_savepoint();
    return failed();
  }
  // Read back inside the savepoint: the allowlist comes out sorted and without duplicates.
  auto stored = read_one_app(sql_app_by_id, row.app_id, "find app");
  if (!stored) {
    if (!last_error_) record(errc::internal, "created app not found");
    undo_savepoint();
    return failed();
  }
  if (!release_savepoint()) return failed();
  return result<app_row>::ok(std::move(*stored));
}

std::optional<app_row> sqlite_store::find_app_by_token_hash(const std::string& token_hash) {
  last_error_ = {};
  return read_one_app(sql_app_by_token, token_hash, "find app by token");
}

std::optional<app_row> sqlite_store::find_app(const std::string& app_id) {
  last_error_ = {};
  return read_one_app(sql_app_by_id, app_id, "find app");
}

std::vector<app_row> sqlite_store::list_apps() {
  last_error_ = {};
  auto st = prepare(sql_list_apps);
  if (!st) return {};
  return read_apps(st, "list apps");
}

result<app_row> sqlite_store::set_allowlist(const std::string& app_id,
                                            const std::vector<std::string>& agent_ids) {
  last_error_ = {};
  auto failed = [this] { return result<app_row>::fail(last_error_.code, last_error_.message); };

  if (!open_savepoint()) return failed();
  // The delete comes first: it is a write, so a standalone savepoint takes the write
  // lock before it reads whether the app exists.
  {
    auto st = prepare(sql_clear_allowlist);
    if (!st) {
      undo_savepoint();
      return failed();
    }
    st.bind(app_id);
    if (st.step() != SQLITE_DONE) {
      record("clear allowlist");
      undo_savepoint();
      return failed();
    }
  }
  {
    bool exists = false;
    {
      auto st = prepare(sql_app_exists);
      if (st) {
        st.bind(app_id);
        const int rc = st.step();
        if (rc == SQLITE_ROW)
          exists = true;
        else if (rc == SQLITE_DONE)
          record(errc::not_found, "no such app");
        else
          record("find app");
      }
    }
    if (!exists) {
      undo_savepoint();
      return failed();
    }
  }
  if (!insert_allowlist(app_id, agent_ids)) {
    undo_savepoint();
    return failed();
  }
  auto updated = read_one_app(sql_app_by_id, app_id, "find app");
  if (!updated) {
    if (!last_error_) record(errc::internal, "updated app not found");
    undo_savepoint();
    return failed();
  }
  if (!release_savepoint()) return failed();
  return result<app_row>::ok(std::move(*updated));
}

// -- room bots --------------------------------------------------------------------

result<bot_row> sqlite_store::create_bot(const std::string& room_id, const std::string& login,
                                         const std::string& name, const std::string& agent_id,
                                         const std::string& prefix) {
  last_error_ = {};
  auto failed = [this] { return result<bot_row>::fail(last_error_.code, last_error_.message); };
  if (!valid_login(login)) {
    record(errc::bad_request, "bot login must be " + std::string{login_rule});
    return failed();
  }
  bot_row b;
  b.room_id = room_id;
  b.user.id = make_id("usr");
  b.user.login = login;
  b.user.name = name;
  b.agent_id = agent_id;
  b.prefix = prefix;
  b.created_at = now_ms();
  b.user.created_at = b.created_at;

  if (!open_savepoint()) return failed();
  {
    auto st = prepare(sql_insert_bot_user);
    if (!st) {
      undo_savepoint();
      return failed();
    }
    st.bind(b.user.id).bind(b.user.login).bind(b.user.name).bind(b.user.created_at);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (is_constraint(rc))
        record(errc::conflict, "login " + login + " is taken");
      else
        record("create bot user");
      undo_savepoint();
      return failed();
    }
  }
  if (sqlite3_changes(db_.get()) == 0) {
    record(errc::conflict, "login " + login + " is taken");
    undo_savepoint();
    return failed();
  }
  if (!agent_id.empty()) {
    bool exists = false;
    {
      auto st = prepare(sql_agent_exists);
      if (st) {
        st.bind(agent_id);
        const int rc = st.step();
        if (rc == SQLITE_ROW)
          exists = true;
        else if (rc == SQLITE_DONE)
          record(errc::not_found, "agent " + agent_id + " does not exist");
        else
          record("find agent");
      }
    }
    if (!exists) {
      undo_savepoint();
      return failed();
    }
  }
  {
    auto st = prepare(sql_insert_bot);
    if (!st) {
      undo_savepoint();
      return failed();
    }
    st.bind(b.room_id).bind(b.user.id).bind(b.agent_id).bind(b.prefix).bind(b.created_at);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        record(errc::not_found, "room does not exist");
      else
        record("create bot");
      undo_savepoint();
      return failed();
    }
  }
  if (!release_savepoint()) return failed();
  return result<bot_row>::ok(std::move(b));
}

std::vector<bot_row> sqlite_store::list_bots(const std::string& room_id) {
  last_error_ = {};
  std::vector<bot_row> out;
  auto st = prepare(sql_list_bots);
  if (!st) return out;
  st.bind(room_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    bot_row b;
    b.user = read_user(st);
    b.room_id = st.text(7);
    b.agent_id = st.text(8);
    b.prefix = st.text(9);
    b.created_at = st.int64(10);
    out.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE) {
    record("list bots");
    out.clear();
  }
  return out;
}

// -- health ---------------------------------------------------------------------

bool sqlite_store::healthy() {
  last_error_ = {};
  auto st = prepare(sql_health);
  if (!st) return false;
  if (st.step() != SQLITE_ROW) {
    record("health check");
    return false;
  }
  return st.int64(0) == 1;
}

}  // namespace relay::storage
