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

// Version 3, rooms, messages and agents: added beside this on another branch; this
// placeholder keeps the numbering until the two meet.
constexpr std::string_view version_3 = R"sql(
-- version 3: rooms, messages and agents (added beside this)
)sql";

// Version 4, the halls area of the store of record (storage/postgres/halls.hpp): the
// columns and constraints of SQLite's halls tables as migrated (storage/migrations.cpp,
// migration 5). Ids are "C" as in version 1; milliseconds are bigint and a mode is
// boolean. At most one session is open per participant and hall (the partial unique
// index); joined_at is NULL for a leave that arrived before its join. hall_usage is the
// ledger: minutes per workspace, mode and month a session ended in. livekit_webhooks
// holds the webhook ids applied, so a redelivery to any node changes nothing.
constexpr std::string_view version_4 = R"sql(
CREATE TABLE hall_workspaces (
  id          text COLLATE "C" PRIMARY KEY,
  plan        text NOT NULL,
  created_at  bigint NOT NULL
);

CREATE TABLE hall_keys (
  id            text COLLATE "C" PRIMARY KEY,
  workspace_id  text COLLATE "C" NOT NULL REFERENCES hall_workspaces (id) ON DELETE CASCADE,
  key_hash      text COLLATE "C" NOT NULL UNIQUE,
  test_mode     boolean NOT NULL,
  created_at    bigint NOT NULL
);
CREATE INDEX hall_keys_by_workspace ON hall_keys (workspace_id);

CREATE TABLE halls (
  id                text COLLATE "C" PRIMARY KEY,
  workspace_id      text COLLATE "C" NOT NULL REFERENCES hall_workspaces (id) ON DELETE CASCADE,
  test_mode         boolean NOT NULL,
  name              text NOT NULL,
  max_participants  bigint,
  status            text NOT NULL DEFAULT 'open',
  created_at        bigint NOT NULL,
  closed_at         bigint
);
CREATE INDEX halls_by_workspace ON halls (workspace_id, created_at);

CREATE TABLE hall_grants (
  hall_id         text COLLATE "C" NOT NULL REFERENCES halls (id) ON DELETE CASCADE,
  participant_id  text COLLATE "C" NOT NULL,
  display_name    text NOT NULL,
  role            text NOT NULL,
  granted_at      bigint NOT NULL,
  PRIMARY KEY (hall_id, participant_id)
);

CREATE TABLE hall_sessions (
  id              text COLLATE "C" PRIMARY KEY,
  hall_id         text COLLATE "C" NOT NULL REFERENCES halls (id) ON DELETE CASCADE,
  participant_id  text COLLATE "C" NOT NULL,
  display_name    text NOT NULL,
  role            text NOT NULL,
  joined_at       bigint,
  left_at         bigint,
  minutes         bigint NOT NULL DEFAULT 0,
  billed_period   text COLLATE "C"
);
CREATE INDEX hall_sessions_by_hall ON hall_sessions (hall_id, participant_id);
CREATE UNIQUE INDEX hall_sessions_one_open
  ON hall_sessions (hall_id, participant_id) WHERE left_at IS NULL;

CREATE TABLE hall_usage (
  workspace_id  text COLLATE "C" NOT NULL,
  test_mode     boolean NOT NULL,
  period        text COLLATE "C" NOT NULL,
  minutes       bigint NOT NULL,
  PRIMARY KEY (workspace_id, test_mode, period)
);

CREATE TABLE livekit_webhooks (
  id          text COLLATE "C" PRIMARY KEY,
  hall_id     text COLLATE "C" NOT NULL,
  applied_at  bigint NOT NULL
);
)sql";

constexpr std::string_view versions[] = {version_1, version_2, version_3, version_4};

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
