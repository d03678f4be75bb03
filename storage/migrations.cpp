#include "storage/migrations.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"

namespace relay::storage {

namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw std::runtime_error("sqlite migration: " + what + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const char* sql, const std::string& what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, what);
}

// The lobby id is generated when the database is created, so it is a real ULID that
// sorts by creation time like every other room id.
void seed_lobby(sqlite3* db) {
  constexpr const char* sql =
      "INSERT INTO rooms (id, slug, display_name, description, accent_colors, avatar_url,"
      " owner_id, whitelist_only, created_at)"
      " VALUES (?1, 'lobby', 'Lobby', '', '[]', '', NULL, 0, ?2)";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) fail(db, "prepare lobby seed");
  const std::string id = make_id("room");
  sqlite3_bind_text(stmt, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(stmt, 2, now_ms());
  const int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) fail(db, "seed lobby");
}

constexpr std::string_view migration_1 = R"sql(
CREATE TABLE users (
  id          TEXT PRIMARY KEY NOT NULL,
  login       TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL DEFAULT '',
  avatar_url  TEXT NOT NULL DEFAULT '',
  email       TEXT NOT NULL DEFAULT '',
  github_id   INTEGER UNIQUE,
  created_at  INTEGER NOT NULL
);

CREATE TABLE tokens (
  id          TEXT PRIMARY KEY NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        TEXT NOT NULL DEFAULT '',
  hash        TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX tokens_by_user ON tokens (user_id, created_at);

CREATE TABLE rooms (
  id              TEXT PRIMARY KEY NOT NULL,
  slug            TEXT NOT NULL UNIQUE,
  display_name    TEXT NOT NULL DEFAULT '',
  description     TEXT NOT NULL DEFAULT '',
  accent_colors   TEXT NOT NULL DEFAULT '[]',
  avatar_url      TEXT NOT NULL DEFAULT '',
  owner_id        TEXT REFERENCES users (id) ON DELETE SET NULL,
  whitelist_only  INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL
);

CREATE TABLE channels (
  id          TEXT PRIMARY KEY NOT NULL,
  room_id     TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  slug        TEXT NOT NULL,
  name        TEXT NOT NULL DEFAULT '',
  visibility  TEXT NOT NULL DEFAULT 'public',
  created_by  TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  UNIQUE (room_id, slug)
);

CREATE TABLE channel_members (
  channel_id  TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (channel_id, user_id)
) WITHOUT ROWID;
CREATE INDEX channel_members_by_user ON channel_members (user_id);

-- channel_id '' is the room-wide thread. client_msg_id is NULL when the client sent
-- none, so the (author_id, client_msg_id) uniqueness only binds real ids.
CREATE TABLE messages (
  id             TEXT PRIMARY KEY NOT NULL,
  room_id        TEXT NOT NULL,
  channel_id     TEXT NOT NULL DEFAULT '',
  seq            INTEGER NOT NULL,
  author_id      TEXT NOT NULL,
  content        TEXT NOT NULL,
  client_msg_id  TEXT,
  created_at     INTEGER NOT NULL,
  edited_at      INTEGER,
  thread_id      TEXT,
  bot            TEXT,
  UNIQUE (room_id, channel_id, seq),
  UNIQUE (author_id, client_msg_id)
);
CREATE INDEX messages_by_room_time ON messages (room_id, created_at, id);
CREATE INDEX messages_by_channel_time ON messages (room_id, channel_id, created_at, id);

-- Kept apart from messages so a seq is never reused after the newest message of a
-- channel is deleted (clients resume with after_seq).
CREATE TABLE channel_seqs (
  room_id     TEXT NOT NULL,
  channel_id  TEXT NOT NULL,
  last_seq    INTEGER NOT NULL,
  PRIMARY KEY (room_id, channel_id)
) WITHOUT ROWID;
)sql";

// Sessions share the tokens table with API tokens; whitelists, access requests and
// notifications for whitelist-only rooms.
//
// Whitelist login and email are NULL when unset (an entry names one or the other), and
// compare without case, so the per-room unique indexes reject "Alice" next to "alice".
// At most one pending access request per (room, user): decided ones are kept as history.
constexpr std::string_view migration_2 = R"sql(
ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;

CREATE TABLE whitelist (
  id          TEXT PRIMARY KEY NOT NULL,
  room_id     TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  login       TEXT COLLATE NOCASE,
  email       TEXT COLLATE NOCASE,
  note        TEXT NOT NULL DEFAULT '',
  added_by    TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  CHECK (login IS NOT NULL OR email IS NOT NULL)
);
CREATE UNIQUE INDEX whitelist_room_login ON whitelist (room_id, login) WHERE login IS NOT NULL;
CREATE UNIQUE INDEX whitelist_room_email ON whitelist (room_id, email) WHERE email IS NOT NULL;
CREATE INDEX whitelist_by_room ON whitelist (room_id, created_at, id);

CREATE TABLE access_requests (
  id          TEXT PRIMARY KEY NOT NULL,
  room_id     TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  note        TEXT NOT NULL DEFAULT '',
  state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied')),
  created_at  INTEGER NOT NULL,
  decided_at  INTEGER,
  decided_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_requests_by_room ON access_requests (room_id, created_at, id);
CREATE UNIQUE INDEX access_requests_one_pending ON access_requests (room_id, user_id)
  WHERE state = 'pending';

CREATE TABLE notifications (
  id          TEXT PRIMARY KEY NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  room_id     TEXT NOT NULL DEFAULT '',
  ref_id      TEXT NOT NULL DEFAULT '',
  body        TEXT NOT NULL DEFAULT '{}',
  state       TEXT NOT NULL DEFAULT 'unread',
  created_at  INTEGER NOT NULL
);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at, id);

-- Room member lists read the distinct authors of a room without visiting every message,
-- and match whitelist entries (and OAuth sign-ups check logins) without case.
CREATE INDEX messages_by_room_author ON messages (room_id, author_id);
CREATE INDEX users_by_login_nocase ON users (login COLLATE NOCASE);
CREATE INDEX users_by_email_nocase ON users (email COLLATE NOCASE);
)sql";

// The agent relay: agents and apps registered by an operator, each with a bearer token
// stored only as its hash, and the agents each app may address. Ids are chosen by the
// operator (the store validates their format). Deleting an agent or an app drops its
// allowlist rows; the index on agent_id keeps that cascade from scanning the table.
constexpr std::string_view migration_3 = R"sql(
CREATE TABLE agents (
  agent_id       TEXT PRIMARY KEY NOT NULL,
  name           TEXT NOT NULL DEFAULT '',
  description    TEXT NOT NULL DEFAULT '',
  token_hash     TEXT NOT NULL UNIQUE,
  created_at     INTEGER NOT NULL,
  last_seen      INTEGER,
  events_served  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE apps (
  app_id      TEXT PRIMARY KEY NOT NULL,
  name        TEXT NOT NULL DEFAULT '',
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);

CREATE TABLE app_allowlist (
  app_id    TEXT NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
  agent_id  TEXT NOT NULL REFERENCES agents (agent_id) ON DELETE CASCADE,
  PRIMARY KEY (app_id, agent_id)
) WITHOUT ROWID;
CREATE INDEX app_allowlist_by_agent ON app_allowlist (agent_id);
)sql";

// Room bots: each bot has a users row of its own (so its login is unique among everyone's)
// and may be bound to an agent of the agent relay so @mentions route to it. agent_id is ''
// for a plain bot; the store checks it against agents when the bot is created (agents are
// not deleted yet, so there is no foreign key). Deleting the room or the bot's user drops
// the row; the index on user_id keeps the user cascade from scanning the table.
constexpr std::string_view migration_4 = R"sql(
CREATE TABLE room_bots (
  room_id     TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  agent_id    TEXT NOT NULL DEFAULT '',
  prefix      TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_bots_by_user ON room_bots (user_id);
)sql";

// Halls (docs/halls.md). A workspace has a plan and API keys (stored as hashes). Halls
// belong to a workspace and a mode (test keys see only test halls). Sessions carry
// LiveKit's event times in ms; at most one is open per participant and hall (the
// partial unique index), and joined_at is NULL for a leave that arrived before its join.
// hall_usage is the ledger: minutes per workspace, mode and month a session ended in.
// livekit_webhooks remembers applied webhook ids so a redelivery changes nothing.
constexpr std::string_view migration_5 = R"sql(
CREATE TABLE hall_workspaces (
  id          TEXT PRIMARY KEY NOT NULL,
  plan        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

CREATE TABLE hall_keys (
  id            TEXT PRIMARY KEY NOT NULL,
  workspace_id  TEXT NOT NULL REFERENCES hall_workspaces (id) ON DELETE CASCADE,
  key_hash      TEXT NOT NULL UNIQUE,
  test_mode     INTEGER NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE INDEX hall_keys_by_workspace ON hall_keys (workspace_id);

CREATE TABLE halls (
  id                TEXT PRIMARY KEY NOT NULL,
  workspace_id      TEXT NOT NULL REFERENCES hall_workspaces (id) ON DELETE CASCADE,
  test_mode         INTEGER NOT NULL,
  name              TEXT NOT NULL,
  max_participants  INTEGER,
  status            TEXT NOT NULL DEFAULT 'open',
  created_at        INTEGER NOT NULL,
  closed_at         INTEGER
);
CREATE INDEX halls_by_workspace ON halls (workspace_id, created_at);

CREATE TABLE hall_grants (
  hall_id         TEXT NOT NULL REFERENCES halls (id) ON DELETE CASCADE,
  participant_id  TEXT NOT NULL,
  display_name    TEXT NOT NULL,
  role            TEXT NOT NULL,
  granted_at      INTEGER NOT NULL,
  PRIMARY KEY (hall_id, participant_id)
) WITHOUT ROWID;

CREATE TABLE hall_sessions (
  id              TEXT PRIMARY KEY NOT NULL,
  hall_id         TEXT NOT NULL REFERENCES halls (id) ON DELETE CASCADE,
  participant_id  TEXT NOT NULL,
  display_name    TEXT NOT NULL,
  role            TEXT NOT NULL,
  joined_at       INTEGER,
  left_at         INTEGER,
  minutes         INTEGER NOT NULL DEFAULT 0,
  billed_period   TEXT
);
CREATE INDEX hall_sessions_by_hall ON hall_sessions (hall_id, participant_id);
CREATE UNIQUE INDEX hall_sessions_one_open
  ON hall_sessions (hall_id, participant_id) WHERE left_at IS NULL;

CREATE TABLE hall_usage (
  workspace_id  TEXT NOT NULL,
  test_mode     INTEGER NOT NULL,
  period        TEXT NOT NULL,
  minutes       INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, test_mode, period)
) WITHOUT ROWID;

CREATE TABLE livekit_webhooks (
  id           TEXT PRIMARY KEY NOT NULL,
  hall_id      TEXT NOT NULL,
  applied_at   INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Seqs a channel may hand out before the message that takes one is committed (live
// fan-out goes ahead of the commit). After a crash the channel continues above
// `reserved`, so a seq a client saw from a message that never committed is not given
// to another one.
constexpr std::string_view migration_6 = R"sql(
ALTER TABLE channel_seqs ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0;
)sql";

// A deleted message's clientMsgId stays taken, so a client resending a send it never
// saw acknowledged gets the same serverId, not a second message. Its content is not
// kept: a deleted message's text does not outlive it.
constexpr std::string_view migration_7 = R"sql(
CREATE TABLE deleted_messages (
  author_id      TEXT NOT NULL,
  client_msg_id  TEXT NOT NULL,
  id             TEXT NOT NULL,
  room_id        TEXT NOT NULL,
  channel_id     TEXT NOT NULL,
  seq            INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  bot            TEXT,
  deleted_at     INTEGER NOT NULL,
  PRIMARY KEY (author_id, client_msg_id)
) WITHOUT ROWID;
)sql";

// Users whose logins differ only by case, oldest first within each login. Older builds
// compared logins exactly in places, so a file may hold "bob" and a later "BOB".
constexpr const char* sql_case_duplicates =
    "SELECT u.id, u.login FROM users u"
    " WHERE (SELECT count(*) FROM users v WHERE v.login = u.login COLLATE NOCASE) > 1"
    " ORDER BY u.login COLLATE NOCASE, u.created_at, u.id";

bool login_taken(sqlite3* db, const std::string& login) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM users WHERE login = ?1 COLLATE NOCASE", -1, &stmt,
                         nullptr) != SQLITE_OK)
    fail(db, "prepare login check");
  sqlite3_bind_text(stmt, 1, login.data(), static_cast<int>(login.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(db, "check login");
  return rc == SQLITE_ROW;
}

// Logs show a stored login as it is only when it is a valid one; older builds stored the
// OAuth provider's login unchecked, and a log line must not carry its control bytes.
std::string printable(const std::string& login) {
  if (valid_login(login)) return login;
  std::string out;
  for (unsigned char c : login.substr(0, 64))
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  return "\"" + out + (login.size() > 64 ? "...\"" : "\"");
}

// Logins became identities without case (as on GitHub), so the unique index of migration
// 9 needs at most one user per login in any case. The oldest user keeps it: it is the one
// whitelists, mentions and links named first. Each later one gets the first free
// "<login>-<n>" (n = 2, 3, ...); its rows hang off its id, so nothing else changes.
void rename_case_duplicates(sqlite3* db) {
  std::vector<std::pair<std::string, std::string>> dups;  // (id, login)
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql_case_duplicates, -1, &stmt, nullptr) != SQLITE_OK)
      fail(db, "prepare duplicate logins");
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
      dups.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                        reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) fail(db, "read duplicate logins");
  }
  sqlite3_stmt* rename = nullptr;
  if (sqlite3_prepare_v2(db, "UPDATE users SET login = ?1 WHERE id = ?2", -1, &rename, nullptr) !=
      SQLITE_OK)
    fail(db, "prepare rename");
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard{rename, &sqlite3_finalize};
  for (std::size_t i = 0; i < dups.size(); ++i) {
    const auto& [id, login] = dups[i];
    if (i == 0 || !same_login(login, dups[i - 1].second)) continue;  // the oldest keeps it
    std::string fresh;
    for (int n = 2; fresh.empty() || login_taken(db, fresh); ++n)
      fresh = login_with_suffix(login, std::to_string(n));
    sqlite3_reset(rename);
    sqlite3_bind_text(rename, 1, fresh.data(), static_cast<int>(fresh.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(rename, 2, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(rename) != SQLITE_DONE) fail(db, "rename user " + id);
    spdlog::warn(
        "schema migration 8: user {} renamed from {} to {}: an older user holds the same login "
        "without case (docs/operations.md, \"Logins\")",
        id, printable(login), fresh);
  }
}

// Migration 8 is the rename above (its SQL is empty); 9 then makes a second spelling of a
// login impossible, whoever writes the row. It replaces migration 2's plain index, which
// served the same lookups.
constexpr std::string_view migration_8 = "";
constexpr std::string_view migration_9 = R"sql(
DROP INDEX users_by_login_nocase;
CREATE UNIQUE INDEX users_login_nocase ON users (login COLLATE NOCASE);
)sql";

// Tiered storage (storage/archive_source.hpp): per channel, the seq up to which the
// Postgres archive may hold messages; the client ids of archived messages, so a retried
// send is still answered as a duplicate; and what a batch forgot but has not settled in
// the archive yet. The time index finds the messages old enough to move. IF NOT EXISTS:
// a file whose version was set back by hand (tests of older upgrades do) still migrates.
constexpr std::string_view migration_10 = R"sql(
CREATE TABLE IF NOT EXISTS archived_upto (
  room_id     TEXT NOT NULL,
  channel_id  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  PRIMARY KEY (room_id, channel_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS archived_client_ids (
  author_id      TEXT NOT NULL,
  client_msg_id  TEXT NOT NULL,
  id             TEXT NOT NULL,
  room_id        TEXT NOT NULL,
  channel_id     TEXT NOT NULL,
  seq            INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  bot            TEXT,
  PRIMARY KEY (author_id, client_msg_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS archive_settling (
  id    TEXT PRIMARY KEY NOT NULL,
  gone  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (created_at, id);
)sql";

// Reactions: one row per (message, emoji, user); `added` orders them within a message
// (who reacted first, and the order the emoji first appeared).
constexpr std::string_view migration_11 = R"sql(
CREATE TABLE IF NOT EXISTS reactions (
  message_id  TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  emoji       TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  added       INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (message_id, emoji, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reactions_by_user ON reactions (user_id);
)sql";

// Notifications people manage: a saved tab, a visibility a room owner may set, and at
// most one mention notification per user and message (an edit that mentions someone
// again must not notify twice; the index decides it, not a read before the insert).
// The columns are added by add_notification_columns below: ALTER TABLE … ADD COLUMN has
// no IF NOT EXISTS, and a file whose version was set back by hand must still migrate.
constexpr std::string_view migration_12 = R"sql(
CREATE UNIQUE INDEX IF NOT EXISTS notifications_one_mention ON notifications (user_id, ref_id)
  WHERE kind = 'mention';
CREATE INDEX IF NOT EXISTS notifications_page ON notifications (user_id, created_at DESC, id DESC);
)sql";

// Attachments (issue 23): one row per uploaded file, bound to an entity (a message);
// the bytes live under the data directory by their sha256 (storage/sqlite/attachments.cpp).
// No foreign key to messages: a deleted message leaves its rows, and the access check
// (which needs the message) then answers 404.
constexpr std::string_view migration_13 = R"sql(
CREATE TABLE IF NOT EXISTS attachments (
  id            TEXT PRIMARY KEY NOT NULL,
  uploader_id   TEXT NOT NULL,
  entity_type   TEXT NOT NULL,
  entity_id     TEXT NOT NULL,
  content_type  TEXT NOT NULL,
  size          INTEGER NOT NULL,
  width         INTEGER,
  height        INTEGER,
  name          TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attachments_by_entity ON attachments (entity_type, entity_id, created_at);
)sql";

// Threads: at most one per root (UNIQUE root_id), counting their replies. root_id has
// no foreign key: deleting the root keeps the thread and its replies. A reply's seq is
// its number in the thread (1, 2, …), the key replies are paged by.
constexpr std::string_view migration_14 = R"sql(
CREATE TABLE IF NOT EXISTS threads (
  id             TEXT PRIMARY KEY NOT NULL,
  room_id        TEXT NOT NULL,
  channel_id     TEXT NOT NULL DEFAULT '',
  root_id        TEXT NOT NULL UNIQUE,
  reply_count    INTEGER NOT NULL DEFAULT 0,
  last_reply_at  INTEGER,
  created_at     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS thread_replies (
  id             TEXT PRIMARY KEY NOT NULL,
  thread_id      TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  seq            INTEGER NOT NULL,
  author_id      TEXT NOT NULL,
  content        TEXT NOT NULL,
  client_msg_id  TEXT,
  created_at     INTEGER NOT NULL,
  UNIQUE (thread_id, seq),
  UNIQUE (thread_id, author_id, client_msg_id)
);
)sql";

// ALTER TABLE … ADD COLUMN, unless the column is there already.
void add_column(sqlite3* db, const std::string& table, const std::string& column,
                const std::string& declaration) {
  sqlite3_stmt* stmt = nullptr;
  const std::string probe = "SELECT 1 FROM pragma_table_info('" + table + "') WHERE name = ?1";
  if (sqlite3_prepare_v2(db, probe.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    fail(db, "prepare column probe");
  sqlite3_bind_text(stmt, 1, column.data(), static_cast<int>(column.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc == SQLITE_ROW) return;
  if (rc != SQLITE_DONE) fail(db, "probe column " + table + "." + column);
  const std::string alter = "ALTER TABLE " + table + " ADD COLUMN " + column + " " + declaration;
  exec(db, alter.c_str(), "add column " + table + "." + column);
}

void add_notification_columns(sqlite3* db) {
  add_column(db, "notifications", "saved", "INTEGER NOT NULL DEFAULT 0");
  add_column(db, "notifications", "visibility", "TEXT NOT NULL DEFAULT 'private'");
}
// Boards: a room's boards, their columns and cards, and who saved which card. At most one
// default board per room (the partial unique index), so concurrent first reads make one.
// Card positions are 0..n-1 per column, kept by the store's writes, not by a constraint:
// a renumbering passes through duplicates within its statement sequence.
constexpr std::string_view migration_15 = R"sql(
CREATE TABLE IF NOT EXISTS boards (
  id          TEXT PRIMARY KEY NOT NULL,
  room_id     TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  owner_id    TEXT NOT NULL,
  is_default  INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS boards_by_room ON boards (room_id, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS boards_one_default ON boards (room_id) WHERE is_default = 1;
CREATE TABLE IF NOT EXISTS board_columns (
  id          TEXT PRIMARY KEY NOT NULL,
  board_id    TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  position    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS board_columns_by_board ON board_columns (board_id, position);
CREATE TABLE IF NOT EXISTS cards (
  id          TEXT PRIMARY KEY NOT NULL,
  board_id    TEXT NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
  column_id   TEXT NOT NULL REFERENCES board_columns (id) ON DELETE CASCADE,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL,
  author_id   TEXT NOT NULL,
  position    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cards_by_column ON cards (column_id, position);
CREATE TABLE IF NOT EXISTS card_saves (
  card_id     TEXT NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (card_id, user_id)
);
)sql";

// Incoming webhooks: a secret URL posting into one channel as the hook's own bot user.
// The secret is kept only as its SHA-256 (as tokens are); revoking stamps revoked_at and
// keeps the row, since the hook's messages name its user. channel_id "" is the room-wide
// thread; no foreign key, so deleting a channel leaves a hook that answers 404.
constexpr std::string_view migration_16 = R"sql(
CREATE TABLE IF NOT EXISTS incoming_webhooks (
  id             TEXT PRIMARY KEY NOT NULL,
  room_id        TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  channel_id     TEXT NOT NULL DEFAULT '',
  name           TEXT NOT NULL,
  creator_id     TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  secret_hash    TEXT NOT NULL UNIQUE,
  github_secret  TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  revoked_at     INTEGER
);
CREATE INDEX IF NOT EXISTS incoming_webhooks_by_room ON incoming_webhooks (room_id, created_at);
)sql";

// Outbound webhooks and their outbox. events is ",name,name," so a LIKE finds the hooks
// that take an event; a delivery is one event for one hook, retried in place (attempt,
// next_attempt_at), its msg_id the same `webhook-id` on every attempt. lease_until keeps
// a claimed delivery from being sent twice at once.
constexpr std::string_view migration_17 = R"sql(
CREATE TABLE IF NOT EXISTS webhooks (
  id                 TEXT PRIMARY KEY NOT NULL,
  room_id            TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  creator_id         TEXT NOT NULL,
  url                TEXT NOT NULL,
  events             TEXT NOT NULL,
  description        TEXT NOT NULL DEFAULT '',
  enabled            INTEGER NOT NULL DEFAULT 1,
  secret             TEXT NOT NULL,
  prev_secret        TEXT NOT NULL DEFAULT '',
  prev_secret_until  INTEGER NOT NULL DEFAULT 0,
  failure_count      INTEGER NOT NULL DEFAULT 0,
  last_state         TEXT NOT NULL DEFAULT '',
  last_status_code   INTEGER,
  last_attempt_at    INTEGER,
  disabled_reason    TEXT NOT NULL DEFAULT '',
  created_at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhooks_by_room ON webhooks (room_id);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id               TEXT PRIMARY KEY NOT NULL,
  webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event            TEXT NOT NULL,
  payload          TEXT NOT NULL,
  msg_id           TEXT NOT NULL,
  attempt          INTEGER NOT NULL DEFAULT 0,
  state            TEXT NOT NULL DEFAULT 'pending',
  next_attempt_at  INTEGER NOT NULL,
  lease_until      INTEGER NOT NULL DEFAULT 0,
  status_code      INTEGER,
  latency_ms       INTEGER,
  error            TEXT NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_hook
  ON webhook_deliveries (webhook_id, created_at);
)sql";

// Search (issue 25): one doc per message and thread reply, numbered in the order written
// (an INTEGER PRIMARY KEY, so a VACUUM keeps the numbers the FTS5 rowids point at), with
// what the filters need; the words in a contentless FTS5 table (the text stays in
// messages and thread_replies only). Triggers keep both exact in the transaction of the
// write: an edit re-indexes the new text and forgets the old, a delete (also of a
// channel's messages, and an archived batch leaving SQLite) forgets the message. The
// existing rows are indexed here, oldest first.
constexpr std::string_view migration_18 = R"sql(
CREATE TABLE IF NOT EXISTS search_docs (
  doc         INTEGER PRIMARY KEY,
  ref_id      TEXT NOT NULL UNIQUE,
  is_reply    INTEGER NOT NULL,
  room_id     TEXT NOT NULL,
  channel_id  TEXT NOT NULL,
  author_id   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  has_link    INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
  content, content = '', tokenize = 'unicode61 remove_diacritics 2');

CREATE TRIGGER IF NOT EXISTS search_message_added AFTER INSERT ON messages BEGIN
  INSERT INTO search_docs (ref_id, is_reply, room_id, channel_id, author_id, created_at, has_link)
    VALUES (new.id, 0, new.room_id, new.channel_id, new.author_id, new.created_at,
            instr(new.content, 'http://') > 0 OR instr(new.content, 'https://') > 0);
  INSERT INTO search_fts (rowid, content)
    SELECT doc, new.content FROM search_docs WHERE ref_id = new.id;
END;
CREATE TRIGGER IF NOT EXISTS search_message_edited AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO search_fts (search_fts, rowid, content)
    SELECT 'delete', doc, old.content FROM search_docs WHERE ref_id = old.id;
  UPDATE search_docs SET has_link =
    instr(new.content, 'http://') > 0 OR instr(new.content, 'https://') > 0
    WHERE ref_id = new.id;
  INSERT INTO search_fts (rowid, content)
    SELECT doc, new.content FROM search_docs WHERE ref_id = new.id;
END;
CREATE TRIGGER IF NOT EXISTS search_message_deleted AFTER DELETE ON messages BEGIN
  INSERT INTO search_fts (search_fts, rowid, content)
    SELECT 'delete', doc, old.content FROM search_docs WHERE ref_id = old.id;
  DELETE FROM search_docs WHERE ref_id = old.id;
END;
CREATE TRIGGER IF NOT EXISTS search_reply_added AFTER INSERT ON thread_replies BEGIN
  INSERT INTO search_docs (ref_id, is_reply, room_id, channel_id, author_id, created_at, has_link)
    SELECT new.id, 1, t.room_id, t.channel_id, new.author_id, new.created_at,
           instr(new.content, 'http://') > 0 OR instr(new.content, 'https://') > 0
    FROM threads t WHERE t.id = new.thread_id;
  INSERT INTO search_fts (rowid, content)
    SELECT doc, new.content FROM search_docs WHERE ref_id = new.id;
END;
CREATE TRIGGER IF NOT EXISTS search_reply_edited AFTER UPDATE OF content ON thread_replies BEGIN
  INSERT INTO search_fts (search_fts, rowid, content)
    SELECT 'delete', doc, old.content FROM search_docs WHERE ref_id = old.id;
  INSERT INTO search_fts (rowid, content)
    SELECT doc, new.content FROM search_docs WHERE ref_id = new.id;
END;
CREATE TRIGGER IF NOT EXISTS search_reply_deleted AFTER DELETE ON thread_replies BEGIN
  INSERT INTO search_fts (search_fts, rowid, content)
    SELECT 'delete', doc, old.content FROM search_docs WHERE ref_id = old.id;
  DELETE FROM search_docs WHERE ref_id = old.id;
END;

-- Only into an empty index: a file whose version was set back by hand runs this again.
CREATE TEMP TABLE search_backfill AS SELECT NOT EXISTS (SELECT 1 FROM search_docs) AS needed;
INSERT INTO search_docs (ref_id, is_reply, room_id, channel_id, author_id, created_at, has_link)
  SELECT id, is_reply, room_id, channel_id, author_id, created_at, has_link FROM (
    SELECT m.id, 0 AS is_reply, m.room_id, m.channel_id, m.author_id, m.created_at,
           instr(m.content, 'http://') > 0 OR instr(m.content, 'https://') > 0 AS has_link
      FROM messages m
    UNION ALL
    SELECT p.id, 1, t.room_id, t.channel_id, p.author_id, p.created_at,
           instr(p.content, 'http://') > 0 OR instr(p.content, 'https://') > 0
      FROM thread_replies p JOIN threads t ON t.id = p.thread_id)
  WHERE (SELECT needed FROM temp.search_backfill)
  ORDER BY created_at, id;
INSERT INTO search_fts (rowid, content)
  SELECT d.doc, COALESCE(m.content, p.content) FROM search_docs d
    LEFT JOIN messages m ON d.is_reply = 0 AND m.id = d.ref_id
    LEFT JOIN thread_replies p ON d.is_reply = 1 AND p.id = d.ref_id
  WHERE (SELECT needed FROM temp.search_backfill);
DROP TABLE temp.search_backfill;
)sql";

// Search by author alone (`from:` without words) walks that author's docs newest first
// instead of every doc: a rare author's page no longer costs a scan of the index.
constexpr std::string_view migration_19 = R"sql(
CREATE INDEX IF NOT EXISTS search_docs_by_author ON search_docs (author_id, doc);
)sql";

// Outbound webhooks' fair claim: a hook's due rows in the order its window numbers them,
// and the leased rows counted against its in-flight cap (few: a node leases at most 16).
constexpr std::string_view migration_20 = R"sql(
CREATE INDEX IF NOT EXISTS webhook_deliveries_fair
  ON webhook_deliveries (webhook_id, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_leased
  ON webhook_deliveries (lease_until) WHERE state = 'pending';
)sql";

const migration all_migrations[] = {
    {1, migration_1, &seed_lobby}, {2, migration_2, nullptr},
    {3, migration_3, nullptr},     {4, migration_4, nullptr},
    {5, migration_5, nullptr},     {6, migration_6, nullptr},
    {7, migration_7, nullptr},     {8, migration_8, &rename_case_duplicates},
    {9, migration_9, nullptr},     {10, migration_10, nullptr},
    {11, migration_11, nullptr},   {12, migration_12, &add_notification_columns},
    {13, migration_13, nullptr},   {14, migration_14, nullptr},
    {15, migration_15, nullptr},   {16, migration_16, nullptr},
    {17, migration_17, nullptr},   {18, migration_18, nullptr},
    {19, migration_19, nullptr},   {20, migration_20, nullptr},
};

}  // namespace

std::span<const migration> migrations() {
  return all_migrations;
}

int latest_schema_version() {
  return migrations().back().version;
}

int schema_version(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK)
    fail(db, "read user_version");
  const int rc = sqlite3_step(stmt);
  const int version = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) fail(db, "read user_version");
  return version;
}

void migrate(sqlite3* db) {
  const int latest = latest_schema_version();
  // Fast path: reopening an up-to-date file must not wait for the write lock.
  int current = schema_version(db);
  if (current == latest) return;
  if (current > latest)
    throw std::runtime_error("sqlite migration: database schema version " +
                             std::to_string(current) + " is newer than this build (" +
                             std::to_string(latest) + ")");

  exec(db, "BEGIN IMMEDIATE", "begin");
  try {
    // Another process may have migrated while we waited for the lock.
    current = schema_version(db);
    if (current > latest)
      throw std::runtime_error("sqlite migration: database schema version " +
                               std::to_string(current) + " is newer than this build (" +
                               std::to_string(latest) + ")");
    for (const auto& m : migrations()) {
      if (m.version <= current) continue;
      const std::string sql{m.sql};
      exec(db, sql.c_str(), "apply version " + std::to_string(m.version));
      if (m.seed != nullptr) m.seed(db);
      // PRAGMA takes no bound parameters; the value is an integer we control.
      const std::string bump = "PRAGMA user_version = " + std::to_string(m.version);
      exec(db, bump.c_str(), "set user_version");
    }
    exec(db, "COMMIT", "commit");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace relay::storage
