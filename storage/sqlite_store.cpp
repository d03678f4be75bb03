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
#include "storage/migrations.hpp"

namespace relay::storage {

namespace detail {

void sqlite_db_close::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}

void sqlite_stmt_finalize::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

/// One use of a prepared statement. Resets it when done so a cached statement never
/// keeps a WAL read snapshot open between calls.
class statement {
 public:
  statement() = default;
  statement(sqlite3_stmt* cached, bool* in_use) : stmt_{cached}, in_use_{in_use} {
    *in_use_ = true;
  }
  explicit statement(sqlite_stmt_ptr owned) : owned_{std::move(owned)}, stmt_{owned_.get()} {}

  statement(statement&& o) noexcept
      : owned_{std::move(o.owned_)},
        stmt_{std::exchange(o.stmt_, nullptr)},
        in_use_{std::exchange(o.in_use_, nullptr)},
        next_{o.next_},
        bind_rc_{o.bind_rc_} {}
  statement& operator=(statement&&) = delete;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  ~statement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
    if (in_use_ != nullptr) *in_use_ = false;
  }

  explicit operator bool() const noexcept { return stmt_ != nullptr; }

  // Parameters are bound in order; a bind failure is reported by the next step().
  statement& bind(std::string_view v) {
    keep(sqlite3_bind_text(stmt_, next_++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  statement& bind(std::int64_t v) {
    keep(sqlite3_bind_int64(stmt_, next_++, v));
    return *this;
  }
  statement& bind_null() {
    keep(sqlite3_bind_null(stmt_, next_++));
    return *this;
  }
  /// NULL for "", so optional text columns stay unconstrained by UNIQUE.
  statement& bind_text_or_null(std::string_view v) { return v.empty() ? bind_null() : bind(v); }

  int step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p == nullptr
               ? std::string{}
               : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<std::int64_t> opt_int64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>{int64(col)};
  }
  std::optional<std::string> opt_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>{text(col)};
  }

 private:
  void keep(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite_stmt_ptr owned_;
  sqlite3_stmt* stmt_ = nullptr;
  bool* in_use_ = nullptr;
  int next_ = 1;
  int bind_rc_ = SQLITE_OK;
};

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

const std::string sql_insert_user =
    "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
    " VALUES (?, ?, ?, '', ?, NULL, ?)";
const std::string sql_user_by_login = user_cols + "FROM users u WHERE u.login = ?";
const std::string sql_user_by_id = user_cols + "FROM users u WHERE u.id = ?";
const std::string sql_user_by_token = user_cols +
                                      ", t.id FROM tokens t JOIN users u ON u.id = t.user_id WHERE "
                                      "t.hash = ? AND t.revoked_at IS NULL";

const std::string sql_insert_token =
    "INSERT INTO tokens (id, user_id, name, hash, created_at, revoked_at)"
    " VALUES (?, ?, ?, ?, ?, NULL)";
const std::string sql_list_tokens =
    "SELECT id, user_id, name, created_at, revoked_at FROM tokens WHERE user_id = ?"
    " ORDER BY created_at, id";
const std::string sql_revoke_token =
    "UPDATE tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL";

const std::string sql_room_by_slug =
    "SELECT id, slug, display_name, description, accent_colors, avatar_url, owner_id,"
    " whitelist_only, created_at FROM rooms WHERE slug = ?";
const std::string sql_list_channels =
    "SELECT id, room_id, slug, name, visibility, created_by, created_at FROM channels"
    " WHERE room_id = ? ORDER BY created_at, id";
const std::string sql_insert_channel =
    "INSERT INTO channels (id, room_id, slug, name, visibility, created_by, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";

const std::string sql_message_by_id = message_select + "WHERE m.id = ?";
const std::string sql_message_by_client_id =
    message_select + "WHERE m.author_id = ? AND m.client_msg_id = ?";
const std::string sql_next_seq =
    "INSERT INTO channel_seqs (room_id, channel_id, last_seq) VALUES (?, ?, 1)"
    " ON CONFLICT (room_id, channel_id) DO UPDATE SET last_seq = last_seq + 1"
    " RETURNING last_seq";
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
  if (login.empty()) return result<user_row>::fail(errc::missing_field, "login is empty");
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
    record(errc::conflict, "login is taken");
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

token_row sqlite_store::create_token(const std::string& user_id, const std::string& name,
                                     const std::string& token_hash) {
  last_error_ = {};
  token_row t;
  t.id = make_id("tok");
  t.user_id = user_id;
  t.name = name;
  t.created_at = now_ms();
  auto st = prepare(sql_insert_token);
  if (!st) return {};
  st.bind(t.id).bind(t.user_id).bind(t.name).bind(token_hash).bind(t.created_at);
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
  st.bind(token_hash);
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
  if (rc == SQLITE_ROW) {
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
  if (rc != SQLITE_DONE) record("find room");
  return std::nullopt;
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

result<channel_row> sqlite_store::create_channel(const channel_row& row) {
  last_error_ = {};
  channel_row c = row;
  if (c.id.empty()) c.id = make_id("ch");
  if (c.created_at == 0) c.created_at = now_ms();
  auto st = prepare(sql_insert_channel);
  if (!st) return result<channel_row>::fail(last_error_.code, last_error_.message);
  st.bind(c.id).bind(c.room_id).bind(c.slug).bind(c.name).bind(c.visibility).bind(c.created_by);
  st.bind(c.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return result<channel_row>::ok(std::move(c));
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    record(errc::not_found, "room does not exist");
  else if ((rc & 0xff) == SQLITE_CONSTRAINT)
    record(errc::conflict, "channel slug is taken in this room");
  else
    record("create channel");
  return result<channel_row>::fail(last_error_.code, last_error_.message);
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
  auto st = prepare(sql_message_by_client_id);
  if (!st) return std::nullopt;
  st.bind(author_id).bind(client_msg_id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_message(st);
  if (rc != SQLITE_DONE) record("find duplicate message");
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

  // The savepoint undoes the seq bump if the insert fails, without touching the rest of
  // the caller's transaction (and makes the append atomic when called outside one).
  if (!run(sql_savepoint, "savepoint")) return {};
  auto undo = [this] {
    run(sql_rollback_to, "rollback to savepoint");
    run(sql_release, "release savepoint");
  };

  const std::string id = msg.id.empty() ? make_id("msg") : msg.id;
  const std::int64_t created_at = msg.created_at != 0 ? msg.created_at : now_ms();

  std::int64_t seq = 0;
  {
    auto st = prepare(sql_next_seq);
    if (!st) {
      undo();
      return {};
    }
    st.bind(msg.room_id).bind(msg.channel_id);
    if (st.step() != SQLITE_ROW) {
      record("next seq");
      undo();
      return {};
    }
    seq = st.int64(0);
    if (st.step() != SQLITE_DONE) {
      record("next seq");
      undo();
      return {};
    }
  }

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
  if (!run(sql_release, "release savepoint")) {
    undo();
    return {};
  }

  auto stored = fetch_message(id);
  if (!stored) {
    record(errc::internal, "appended message not found");
    return {};
  }
  return {std::move(*stored), false};
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
