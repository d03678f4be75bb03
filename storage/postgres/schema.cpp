#include "storage/postgres/schema.hpp"

#include <pqxx/pqxx>

#include <stdexcept>
#include <string>
#include <string_view>

namespace relay::storage::postgres {

namespace {

// Any fixed number: every node takes the same lock around its migrations.
constexpr long long migration_lock = 0x52454c4159;  // "RELAY"

// Version 1, the archive of messages older than the retention window (single node,
// docs/operations.md "Archive"). Ids compare bytewise ("C"), as in SQLite, so keyset
// cursors order the same across both tiers. Content is bytea: a message may hold U+0000,
// which Postgres text refuses. `settled` is false while the hot store still may hold the
// row (storage/archive_source.hpp).
constexpr std::string_view version_1 = R"sql(
CREATE TABLE message_archive (
  id             text COLLATE "C" PRIMARY KEY,
  room_id        text COLLATE "C" NOT NULL,
  channel_id     text COLLATE "C" NOT NULL,
  seq            bigint NOT NULL,
  author_id      text COLLATE "C" NOT NULL,
  content        bytea NOT NULL,
  client_msg_id  text,
  created_at     bigint NOT NULL,
  edited_at      bigint,
  thread_id      text,
  bot            text,
  settled        boolean NOT NULL DEFAULT false
);
CREATE INDEX message_archive_by_seq ON message_archive (room_id, channel_id, seq);
CREATE INDEX message_archive_by_room_time ON message_archive (room_id, created_at, id);
CREATE INDEX message_archive_by_channel_time
  ON message_archive (room_id, channel_id, created_at, id);
CREATE INDEX message_archive_unsettled ON message_archive (id) WHERE NOT settled;
)sql";

// Version 2, the users area of the store of record (cluster mode; storage/postgres/users.hpp):
// the columns and constraints of SQLite's users, tokens and notifications as migrated
// (storage/migrations.cpp). Ids are "C" as in version 1. A login is unique without case
// through lower(login) on the "C" collation, which folds A-Z only, exactly as SQLite's
// NOCASE; citext would fold by the database's locale, and needs an extension.
// Milliseconds since the epoch are bigint, as SQLite's INTEGER.
constexpr std::string_view version_2 = R"sql(
CREATE TABLE users (
  id          text COLLATE "C" PRIMARY KEY,
  login       text COLLATE "C" NOT NULL UNIQUE,
  name        text NOT NULL DEFAULT '',
  avatar_url  text NOT NULL DEFAULT '',
  email       text NOT NULL DEFAULT '',
  github_id   bigint UNIQUE,
  created_at  bigint NOT NULL
);
CREATE UNIQUE INDEX users_login_nocase ON users (lower(login));
CREATE INDEX users_by_email_nocase ON users (lower(email COLLATE "C"));

CREATE TABLE tokens (
  id          text COLLATE "C" PRIMARY KEY,
  user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        text NOT NULL DEFAULT '',
  hash        text COLLATE "C" NOT NULL UNIQUE,
  created_at  bigint NOT NULL,
  revoked_at  bigint,
  kind        text NOT NULL DEFAULT 'api',
  expires_at  bigint
);
CREATE INDEX tokens_by_user ON tokens (user_id, created_at);

CREATE TABLE notifications (
  id          text COLLATE "C" PRIMARY KEY,
  user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind        text NOT NULL,
  room_id     text COLLATE "C" NOT NULL DEFAULT '',
  ref_id      text COLLATE "C" NOT NULL DEFAULT '',
  body        text NOT NULL DEFAULT '{}',
  state       text NOT NULL DEFAULT 'unread',
  created_at  bigint NOT NULL
);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at, id);
)sql";

constexpr std::string_view versions[] = {version_1, version_2};

}  // namespace

int latest_schema_version() {
  return static_cast<int>(std::size(versions));
}

void migrate(pqxx::connection_base& c) {
  pqxx::work w{c, "migrate"};
  w.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock);
  w.exec(
      "CREATE TABLE IF NOT EXISTS relay_schema (version integer PRIMARY KEY, applied_at "
      "timestamptz NOT NULL DEFAULT now())");
  auto r = w.exec("SELECT COALESCE(max(version), 0) FROM relay_schema");
  const int current = r[0][0].as<int>();
  const int latest = latest_schema_version();
  if (current > latest)
    throw std::runtime_error("postgres schema version " + std::to_string(current) +
                             " is newer than this build (" + std::to_string(latest) + ")");
  for (int v = current + 1; v <= latest; ++v) {
    w.exec(std::string{versions[v - 1]});
    w.exec_params("INSERT INTO relay_schema (version) VALUES ($1)", v);
  }
  w.commit();
}

}  // namespace relay::storage::postgres
