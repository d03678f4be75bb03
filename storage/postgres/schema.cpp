#include "storage/postgres/schema.hpp"

#include <pqxx/pqxx>

#include <stdexcept>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/ids.hpp"

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

// Version 3, the rooms, messages and agents areas of the store of record (cluster mode;
// storage/postgres/rooms.hpp, messages.hpp, agents.hpp): SQLite's tables as migrated
// (storage/migrations.cpp, versions 1 to 7), with the same constraints, and the lobby
// seeded (migrate() below). Ids are "C" as in version 2; a whitelist login or email is
// unique per room without case through lower() on "C", as version 2 explains. Message
// content is bytea, as in version 1: a message may hold U+0000, which text refuses.
// channel_seqs has no `reserved` column: on Postgres a seq is never shown before its
// commit (storage/postgres/messages.hpp says why), so nothing is reserved ahead.
constexpr std::string_view version_3 = R"sql(
CREATE TABLE rooms (
  id              text COLLATE "C" PRIMARY KEY,
  slug            text COLLATE "C" NOT NULL UNIQUE,
  display_name    text NOT NULL DEFAULT '',
  description     text NOT NULL DEFAULT '',
  accent_colors   text NOT NULL DEFAULT '[]',
  avatar_url      text NOT NULL DEFAULT '',
  owner_id        text COLLATE "C" REFERENCES users (id) ON DELETE SET NULL,
  whitelist_only  boolean NOT NULL DEFAULT false,
  created_at      bigint NOT NULL
);

CREATE TABLE channels (
  id          text COLLATE "C" PRIMARY KEY,
  room_id     text COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  slug        text COLLATE "C" NOT NULL,
  name        text NOT NULL DEFAULT '',
  visibility  text NOT NULL DEFAULT 'public',
  created_by  text COLLATE "C" NOT NULL DEFAULT '',
  created_at  bigint NOT NULL,
  UNIQUE (room_id, slug)
);
CREATE INDEX channels_by_room ON channels (room_id, created_at, id);

CREATE TABLE channel_members (
  channel_id  text COLLATE "C" NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_by_user ON channel_members (user_id);

-- channel_id '' is the room-wide thread. client_msg_id is NULL when the client sent
-- none, so the (author_id, client_msg_id) uniqueness only binds real ids.
CREATE TABLE messages (
  id             text COLLATE "C" PRIMARY KEY,
  room_id        text COLLATE "C" NOT NULL,
  channel_id     text COLLATE "C" NOT NULL DEFAULT '',
  seq            bigint NOT NULL,
  author_id      text COLLATE "C" NOT NULL,
  content        bytea NOT NULL,
  client_msg_id  text COLLATE "C",
  created_at     bigint NOT NULL,
  edited_at      bigint,
  thread_id      text COLLATE "C",
  bot            text,
  UNIQUE (room_id, channel_id, seq),
  UNIQUE (author_id, client_msg_id)
);
CREATE INDEX messages_by_room_time ON messages (room_id, created_at, id);
CREATE INDEX messages_by_channel_time ON messages (room_id, channel_id, created_at, id);
CREATE INDEX messages_by_room_author ON messages (room_id, author_id);
CREATE INDEX messages_by_time ON messages (created_at, id);

-- Kept apart from messages so a seq is never reused after the newest message of a
-- channel is deleted (clients resume with after_seq). Its row is the lock that orders
-- a channel's appenders across nodes.
CREATE TABLE channel_seqs (
  room_id     text COLLATE "C" NOT NULL,
  channel_id  text COLLATE "C" NOT NULL,
  last_seq    bigint NOT NULL,
  PRIMARY KEY (room_id, channel_id)
);

-- A deleted message's clientMsgId stays taken, so a resent send gets the same serverId.
-- Its content is not kept.
CREATE TABLE deleted_messages (
  author_id      text COLLATE "C" NOT NULL,
  client_msg_id  text COLLATE "C" NOT NULL,
  id             text COLLATE "C" NOT NULL,
  room_id        text COLLATE "C" NOT NULL,
  channel_id     text COLLATE "C" NOT NULL,
  seq            bigint NOT NULL,
  created_at     bigint NOT NULL,
  bot            text,
  deleted_at     bigint NOT NULL,
  PRIMARY KEY (author_id, client_msg_id)
);

-- Whitelist login and email are NULL when unset (an entry names one or the other).
-- At most one pending access request per (room, user): decided ones are kept as history.
CREATE TABLE whitelist (
  id          text COLLATE "C" PRIMARY KEY,
  room_id     text COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  login       text COLLATE "C",
  email       text COLLATE "C",
  note        text NOT NULL DEFAULT '',
  added_by    text COLLATE "C" NOT NULL DEFAULT '',
  created_at  bigint NOT NULL,
  CHECK (login IS NOT NULL OR email IS NOT NULL)
);
CREATE UNIQUE INDEX whitelist_room_login ON whitelist (room_id, lower(login))
  WHERE login IS NOT NULL;
CREATE UNIQUE INDEX whitelist_room_email ON whitelist (room_id, lower(email))
  WHERE email IS NOT NULL;
CREATE INDEX whitelist_by_room ON whitelist (room_id, created_at, id);

CREATE TABLE access_requests (
  id          text COLLATE "C" PRIMARY KEY,
  room_id     text COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  note        text NOT NULL DEFAULT '',
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied')),
  created_at  bigint NOT NULL,
  decided_at  bigint,
  decided_by  text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX access_requests_by_room ON access_requests (room_id, created_at, id);
CREATE UNIQUE INDEX access_requests_one_pending ON access_requests (room_id, user_id)
  WHERE state = 'pending';

-- The agent relay: agents and apps registered by an operator, tokens stored as hashes.
CREATE TABLE agents (
  agent_id       text COLLATE "C" PRIMARY KEY,
  name           text NOT NULL DEFAULT '',
  description    text NOT NULL DEFAULT '',
  token_hash     text COLLATE "C" NOT NULL UNIQUE,
  created_at     bigint NOT NULL,
  last_seen      bigint,
  events_served  bigint NOT NULL DEFAULT 0
);

CREATE TABLE apps (
  app_id      text COLLATE "C" PRIMARY KEY,
  name        text NOT NULL DEFAULT '',
  token_hash  text COLLATE "C" NOT NULL UNIQUE,
  created_at  bigint NOT NULL
);

CREATE TABLE app_allowlist (
  app_id    text COLLATE "C" NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
  agent_id  text COLLATE "C" NOT NULL REFERENCES agents (agent_id) ON DELETE CASCADE,
  PRIMARY KEY (app_id, agent_id)
);
CREATE INDEX app_allowlist_by_agent ON app_allowlist (agent_id);

-- Room bots: a users row of their own, optionally bound to an agent ('' = a plain bot;
-- checked when the bot is created, no foreign key, as in SQLite).
CREATE TABLE room_bots (
  room_id     text COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  agent_id    text COLLATE "C" NOT NULL DEFAULT '',
  prefix      text NOT NULL DEFAULT '',
  created_at  bigint NOT NULL,
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_bots_by_user ON room_bots (user_id);
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

// Reactions, as SQLite's migration 11: one row per (message, emoji, user), `added`
// ordering them within a message.
constexpr std::string_view version_5 = R"sql(
CREATE TABLE reactions (
  message_id  text COLLATE "C" NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  emoji       text COLLATE "C" NOT NULL,
  user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  added       bigint NOT NULL,
  created_at  bigint NOT NULL,
  PRIMARY KEY (message_id, emoji, user_id)
);
CREATE INDEX reactions_by_user ON reactions (user_id);
)sql";

// Notifications people manage, as SQLite's migration 12: saved, visibility, and one
// mention notification per user and message.
constexpr std::string_view version_6 = R"sql(
ALTER TABLE notifications ADD COLUMN saved boolean NOT NULL DEFAULT false;
ALTER TABLE notifications ADD COLUMN visibility text COLLATE "C" NOT NULL DEFAULT 'private';
CREATE UNIQUE INDEX notifications_one_mention ON notifications (user_id, ref_id)
  WHERE kind = 'mention';
CREATE INDEX notifications_page ON notifications (user_id, created_at DESC, id DESC);
)sql";

// Attachments, as SQLite's migration 13, with the bytes in the row: every node serves
// every attachment from the database all nodes share.
constexpr std::string_view version_7 = R"sql(
CREATE TABLE attachments (
  id            text COLLATE "C" PRIMARY KEY,
  uploader_id   text COLLATE "C" NOT NULL,
  entity_type   text COLLATE "C" NOT NULL,
  entity_id     text COLLATE "C" NOT NULL,
  content_type  text NOT NULL,
  size          bigint NOT NULL,
  width         bigint,
  height        bigint,
  name          text NOT NULL,
  sha256        text COLLATE "C" NOT NULL,
  created_at    bigint NOT NULL,
  bytes         bytea NOT NULL
);
CREATE INDEX attachments_by_entity ON attachments (entity_type, entity_id, created_at);
)sql";

// Threads, as SQLite's migration 14: at most one per root, no foreign key to the
// root (deleting it keeps the thread), replies numbered in their thread.
constexpr std::string_view version_8 = R"sql(
CREATE TABLE threads (
  id             text COLLATE "C" PRIMARY KEY,
  room_id        text COLLATE "C" NOT NULL,
  channel_id     text COLLATE "C" NOT NULL DEFAULT '',
  root_id        text COLLATE "C" NOT NULL UNIQUE,
  reply_count    bigint NOT NULL DEFAULT 0,
  last_reply_at  bigint,
  created_at     bigint NOT NULL
);
CREATE TABLE thread_replies (
  id             text COLLATE "C" PRIMARY KEY,
  thread_id      text COLLATE "C" NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
  seq            bigint NOT NULL,
  author_id      text COLLATE "C" NOT NULL,
  content        bytea NOT NULL,
  client_msg_id  text COLLATE "C",
  created_at     bigint NOT NULL,
  UNIQUE (thread_id, seq),
  UNIQUE (thread_id, author_id, client_msg_id)
);
)sql";

// Boards, as SQLite's migration 15: one default board per room, positions 0..n-1 per
// column kept by the store (which locks the board's row before renumbering).
constexpr std::string_view version_9 = R"sql(
CREATE TABLE boards (
  id          text COLLATE "C" PRIMARY KEY,
  room_id     text COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  name        text NOT NULL,
  owner_id    text COLLATE "C" NOT NULL,
  is_default  boolean NOT NULL DEFAULT false,
  created_at  bigint NOT NULL
);
CREATE INDEX boards_by_room ON boards (room_id, created_at);
CREATE UNIQUE INDEX boards_one_default ON boards (room_id) WHERE is_default;
CREATE TABLE board_columns (
  id          text COLLATE "C" PRIMARY KEY,
  board_id    text COLLATE "C" NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
  name        text NOT NULL,
  position    bigint NOT NULL
);
CREATE INDEX board_columns_by_board ON board_columns (board_id, position);
CREATE TABLE cards (
  id          text COLLATE "C" PRIMARY KEY,
  board_id    text COLLATE "C" NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
  column_id   text COLLATE "C" NOT NULL REFERENCES board_columns (id) ON DELETE CASCADE,
  title       text NOT NULL,
  body        text NOT NULL,
  author_id   text COLLATE "C" NOT NULL,
  position    bigint NOT NULL,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL
);
CREATE INDEX cards_by_column ON cards (column_id, position);
CREATE TABLE card_saves (
  card_id     text COLLATE "C" NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
  user_id     text COLLATE "C" NOT NULL,
  created_at  bigint NOT NULL,
  PRIMARY KEY (card_id, user_id)
);
)sql";

// Incoming webhooks, as SQLite's migration 16.
constexpr std::string_view version_10 = R"sql(
CREATE TABLE incoming_webhooks (
  id             text COLLATE "C" PRIMARY KEY,
  room_id        text COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  channel_id     text COLLATE "C" NOT NULL DEFAULT '',
  name           text NOT NULL,
  creator_id     text COLLATE "C" NOT NULL,
  user_id        text COLLATE "C" NOT NULL,
  secret_hash    text COLLATE "C" NOT NULL UNIQUE,
  github_secret  text NOT NULL DEFAULT '',
  created_at     bigint NOT NULL,
  revoked_at     bigint
);
CREATE INDEX incoming_webhooks_by_room ON incoming_webhooks (room_id, created_at);
)sql";

// Outbound webhooks and their outbox, as SQLite's migration 17.
constexpr std::string_view version_11 = R"sql(
CREATE TABLE webhooks (
  id                 text COLLATE "C" PRIMARY KEY,
  room_id            text COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  creator_id         text COLLATE "C" NOT NULL,
  url                text NOT NULL,
  events             text NOT NULL,
  description        text NOT NULL DEFAULT '',
  enabled            boolean NOT NULL DEFAULT true,
  secret             text NOT NULL,
  prev_secret        text NOT NULL DEFAULT '',
  prev_secret_until  bigint NOT NULL DEFAULT 0,
  failure_count      bigint NOT NULL DEFAULT 0,
  last_state         text NOT NULL DEFAULT '',
  last_status_code   bigint,
  last_attempt_at    bigint,
  disabled_reason    text NOT NULL DEFAULT '',
  created_at         bigint NOT NULL
);
CREATE INDEX webhooks_by_room ON webhooks (room_id);
CREATE TABLE webhook_deliveries (
  id               text COLLATE "C" PRIMARY KEY,
  webhook_id       text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event            text NOT NULL,
  payload          text NOT NULL,
  msg_id           text COLLATE "C" NOT NULL,
  attempt          bigint NOT NULL DEFAULT 0,
  state            text NOT NULL DEFAULT 'pending',
  next_attempt_at  bigint NOT NULL,
  lease_until      bigint NOT NULL DEFAULT 0,
  status_code      bigint,
  latency_ms       bigint,
  error            text NOT NULL DEFAULT '',
  created_at       bigint NOT NULL,
  updated_at       bigint NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, created_at);
)sql";

// Search (issue 25; storage/postgres/search.hpp), as SQLite's migration 18: one doc per
// message and thread reply, numbered in the order written, with what the filters need
// and its words as a tsvector under a GIN index; the archive's rows get their words and a
// doc number too (storage/sqlite/search.cpp searches them). Triggers keep both exact in
// the transaction of the write (an edit re-indexes, a delete forgets). The words are
// split as FTS5's unicode61 splits them (every ASCII character but letters and digits
// separates) and parsed with the 'simple' configuration; accents of Latin-1 and Latin
// Extended-A letters are folded by translate(), which is IMMUTABLE and needs no extension
// (unaccent is contrib, not in every cluster). In a database that is not UTF8 folding is
// left out: translate() would cut multibyte letters apart. NUL bytes (content is bytea)
// become spaces, as text cannot hold them.
constexpr std::string_view version_12 = R"sql(
DO $do$
BEGIN
  IF current_setting('server_encoding') = 'UTF8' THEN
    EXECUTE $f$CREATE FUNCTION relay_search_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE
      STRICT PARALLEL SAFE RETURN CASE WHEN octet_length(t) = char_length(t) THEN t ELSE translate(t,
      'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïðñòóôõöøùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĴĵĶķĹĺĻļĽľĿŀŁłŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž',
      'aaaaaaceeeeiiiidnoooooouuuuyaaaaaaceeeeiiiidnoooooouuuuyyaaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiijjkkllllllllllnnnnnnoooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzz') END$f$;
  ELSE
    EXECUTE $f$CREATE FUNCTION relay_search_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE
      STRICT PARALLEL SAFE RETURN t$f$;
  END IF;
END
$do$;

CREATE FUNCTION relay_search_words(content bytea) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE
  STRICT PARALLEL SAFE AS $f$
DECLARE
  at integer;
BEGIN
  LOOP
    at := position('\x00'::bytea IN content);
    EXIT WHEN at = 0;
    content := set_byte(content, at - 1, 32);
  END LOOP;
  -- The parser reads these as parts of hosts, paths, e-mail addresses, numbers and
  -- hyphenated words; unicode61 splits at them, so they become spaces (replace() is
  -- several times cheaper than one regexp_replace or translate() here). The parser
  -- splits at every other ASCII character but letters and digits itself.
  RETURN to_tsvector('simple', relay_search_fold(replace(replace(replace(replace(replace(
    replace(replace(replace(replace(replace(convert_from(content, 'UTF8'), '.', ' '), '/', ' '),
    '@', ' '), '-', ' '), ':', ' '), '&', ' '), '<', ' '), '>', ' '), '+', ' '), '~', ' ')));
END
$f$;

CREATE FUNCTION relay_search_has_link(content bytea) RETURNS boolean LANGUAGE sql IMMUTABLE
  STRICT PARALLEL SAFE
  RETURN position('http://'::bytea IN content) > 0 OR position('https://'::bytea IN content) > 0;

CREATE TABLE search_docs (
  doc         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ref_id      text COLLATE "C" NOT NULL UNIQUE,
  is_reply    boolean NOT NULL,
  room_id     text COLLATE "C" NOT NULL,
  channel_id  text COLLATE "C" NOT NULL,
  author_id   text COLLATE "C" NOT NULL,
  created_at  bigint NOT NULL,
  has_link    boolean NOT NULL,
  words       tsvector NOT NULL
);
CREATE INDEX search_docs_words ON search_docs USING gin (words);

CREATE FUNCTION relay_search_message() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM search_docs WHERE ref_id = OLD.id;
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE search_docs SET words = relay_search_words(NEW.content),
      has_link = relay_search_has_link(NEW.content) WHERE ref_id = NEW.id;
  ELSIF TG_TABLE_NAME = 'messages' THEN
    INSERT INTO search_docs (ref_id, is_reply, room_id, channel_id, author_id, created_at,
                             has_link, words)
      VALUES (NEW.id, false, NEW.room_id, NEW.channel_id, NEW.author_id, NEW.created_at,
              relay_search_has_link(NEW.content), relay_search_words(NEW.content));
  ELSE
    INSERT INTO search_docs (ref_id, is_reply, room_id, channel_id, author_id, created_at,
                             has_link, words)
      SELECT NEW.id, true, t.room_id, t.channel_id, NEW.author_id, NEW.created_at,
             relay_search_has_link(NEW.content), relay_search_words(NEW.content)
      FROM threads t WHERE t.id = NEW.thread_id;
  END IF;
  RETURN NULL;
END
$f$;
CREATE TRIGGER search_message AFTER INSERT OR DELETE OR UPDATE OF content ON messages
  FOR EACH ROW EXECUTE FUNCTION relay_search_message();
CREATE TRIGGER search_reply AFTER INSERT OR DELETE OR UPDATE OF content ON thread_replies
  FOR EACH ROW EXECUTE FUNCTION relay_search_message();

-- The index built again from the messages and replies, numbered oldest first: here for
-- the rows already there, after store copy-to-postgres (which writes the archive's
-- messages after the rest), or by hand (SELECT relay_search_rebuild()). Writers wait.
CREATE FUNCTION relay_search_rebuild() RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE
  n bigint;
BEGIN
  TRUNCATE search_docs RESTART IDENTITY;
  INSERT INTO search_docs (ref_id, is_reply, room_id, channel_id, author_id, created_at, has_link,
                           words)
    SELECT id, is_reply, room_id, channel_id, author_id, created_at,
           relay_search_has_link(content), relay_search_words(content) FROM (
      SELECT m.id, false AS is_reply, m.room_id, m.channel_id, m.author_id, m.created_at, m.content
        FROM messages m
      UNION ALL
      SELECT p.id, true, t.room_id, t.channel_id, p.author_id, p.created_at, p.content
        FROM thread_replies p JOIN threads t ON t.id = p.thread_id) AS existing
    ORDER BY created_at, id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$f$;
SELECT relay_search_rebuild();

-- The archive's docs are numbered too, the rows it holds already oldest first, so its
-- hits page newest first by a keyset after SQLite's (storage/sqlite/search.cpp).
ALTER TABLE message_archive ADD COLUMN words tsvector;
ALTER TABLE message_archive ADD COLUMN doc bigint;
CREATE SEQUENCE message_archive_doc OWNED BY message_archive.doc;
UPDATE message_archive a SET doc = o.n, words = relay_search_words(a.content)
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM message_archive) o
  WHERE o.id = a.id;
SELECT setval('message_archive_doc', (SELECT COALESCE(max(doc), 0) + 1 FROM message_archive),
              false);
ALTER TABLE message_archive ALTER COLUMN doc SET DEFAULT nextval('message_archive_doc');
ALTER TABLE message_archive ALTER COLUMN doc SET NOT NULL;
CREATE UNIQUE INDEX message_archive_by_doc ON message_archive (doc);
CREATE FUNCTION relay_search_archived() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  NEW.words := relay_search_words(NEW.content);
  RETURN NEW;
END
$f$;
CREATE TRIGGER search_archived BEFORE INSERT OR UPDATE OF content ON message_archive
  FOR EACH ROW EXECUTE FUNCTION relay_search_archived();
CREATE INDEX message_archive_words ON message_archive USING gin (words);
)sql";

// Outbound webhooks' fair claim, as SQLite's migration 20.
constexpr std::string_view version_13 = R"sql(
CREATE INDEX IF NOT EXISTS webhook_deliveries_fair
  ON webhook_deliveries (webhook_id, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_leased ON webhook_deliveries (lease_until)
  WHERE state = 'pending';
)sql";

constexpr std::string_view versions[] = {version_1,  version_2,  version_3, version_4, version_5,
                                         version_6,  version_7,  version_8, version_9, version_10,
                                         version_11, version_12, version_13};

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
    // The lobby's id is generated here, as SQLite's seed does, so it is a real id that
    // sorts by creation time like every other room's.
    if (v == 3)
      w.exec_params(
          "INSERT INTO rooms (id, slug, display_name, description, accent_colors, avatar_url,"
          " owner_id, whitelist_only, created_at)"
          " VALUES ($1, 'lobby', 'Lobby', '', '[]', '', NULL, false, $2)",
          make_id("room"), now_ms());
    w.exec_params("INSERT INTO relay_schema (version) VALUES ($1)", v);
  }
  w.commit();
}

}  // namespace relay::storage::postgres
