// The messages area on SQLite: appending with per-channel seqs (and the reservation
// that lets a message be shown before its batch commits), edits, deletes that keep the
// client id, and the reads that page through a channel.

#include "storage/sqlite/messages.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/sqlite/message_columns.hpp"
#include "storage/sqlite/threads.hpp"

namespace relay::storage::sqlite {

namespace {

// Bots may post under ids that have no users row, hence the LEFT JOIN.
const std::string message_select =
    "SELECT m.id, m.room_id, m.channel_id, m.seq, m.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), m.content,"
    " COALESCE(m.client_msg_id, ''), m.created_at, m.edited_at, COALESCE(m.thread_id, ''),"
    " COALESCE(m.bot, '') FROM messages m LEFT JOIN users u ON u.id = m.author_id ";

const std::string sql_message_by_id = message_select + "WHERE m.id = ?";
const std::string sql_message_by_client_id =
    message_select + "WHERE m.author_id = ? AND m.client_msg_id = ?";
// Same columns as message_select; the content of a deleted message is gone.
const std::string sql_deleted_by_client_id =
    "SELECT d.id, d.room_id, d.channel_id, d.seq, d.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), '', d.client_msg_id, d.created_at,"
    " NULL, '', COALESCE(d.bot, '') FROM deleted_messages d LEFT JOIN users u ON u.id ="
    " d.author_id WHERE d.author_id = ? AND d.client_msg_id = ?";
// An archived message answers a retried send too (its content is in the archive).
const std::string sql_archived_by_client_id =
    "SELECT a.id, a.room_id, a.channel_id, a.seq, a.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), '', a.client_msg_id, a.created_at,"
    " NULL, '', COALESCE(a.bot, '') FROM archived_client_ids a LEFT JOIN users u ON u.id ="
    " a.author_id WHERE a.author_id = ? AND a.client_msg_id = ?";
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
const std::string sql_reaction_exists =
    "SELECT 1 FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?";
// How many distinct emoji the message has, whether this one is among them, and the next
// ordinal, in one read.
const std::string sql_reaction_counts =
    "SELECT count(DISTINCT emoji), COALESCE(max(emoji = ?), 0), COALESCE(max(added), 0) + 1"
    " FROM reactions WHERE message_id = ?";
const std::string sql_message_exists = "SELECT 1 FROM messages WHERE id = ?";
const std::string sql_insert_reaction =
    "INSERT INTO reactions (message_id, emoji, user_id, added, created_at)"
    " VALUES (?, ?, ?, ?, ?)";
const std::string sql_delete_reaction =
    "DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?";
const std::string sql_last_seq =
    "SELECT last_seq FROM channel_seqs WHERE room_id = ? AND channel_id = ?";

}  // namespace

expected<message_row> messages::find_message(const std::string& id) {
  auto st = db_.prepare(sql_message_by_id);
  if (!st) return db_.failure("find message");
  st.bind(id);
  auto out = read_messages(st, "find message");
  if (!out) return out.error();
  if (out->empty()) return make_error(errc::not_found, "no such message");
  return std::move(out->front());
}

expected<message_row> messages::find_duplicate(const std::string& author_id,
                                               const std::string& client_msg_id) {
  for (auto* sql :
       {&sql_message_by_client_id, &sql_deleted_by_client_id, &sql_archived_by_client_id}) {
    auto st = db_.prepare(*sql);
    if (!st) return db_.failure("find duplicate message");
    st.bind(author_id).bind(client_msg_id);
    const int rc = st.step();
    if (rc == SQLITE_ROW) return read_message(st);
    if (rc != SQLITE_DONE) return db_.failure("find duplicate message");
  }
  return make_error(errc::not_found, "no message with this client id");
}

expected<std::vector<message_row>> messages::read_messages(statement& st, const char* what) {
  std::vector<message_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_message(st));
  if (rc != SQLITE_DONE) return db_.failure(what);
  if (auto r = attach_reactions(out); !r) return r.error();
  if (auto r = attach_thread_counts(db_, out); !r) return r.error();
  return out;
}

expected<void> messages::attach_reactions(std::vector<message_row>& ms) {
  if (ms.empty()) return {};
  // Ordered by each emoji's first `added`, then by `added` within it: the object's key
  // order and each list's order.
  std::string sql =
      "SELECT r.message_id, r.emoji, COALESCE(u.login, '') FROM reactions r"
      " LEFT JOIN users u ON u.id = r.user_id"
      " JOIN (SELECT message_id, emoji, min(added) AS first FROM reactions"
      " WHERE message_id IN (";
  for (std::size_t i = 0; i < ms.size(); ++i) sql += i == 0 ? "?" : ", ?";
  sql +=
      ") GROUP BY message_id, emoji) f ON f.message_id = r.message_id AND f.emoji = r.emoji"
      " ORDER BY r.message_id, f.first, r.added";
  auto st = db_.prepare_uncached(sql);
  if (!st) return db_.failure("load reactions");
  for (auto& m : ms) st.bind(m.id);
  std::unordered_map<std::string, message_row*> by_id;
  for (auto& m : ms) by_id[m.id] = &m;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    auto it = by_id.find(st.text(0));
    if (it == by_id.end()) continue;
    auto& rs = it->second->reactions;
    auto emoji = st.text(1);
    if (rs.empty() || rs.back().emoji != emoji) rs.push_back({std::move(emoji), {}});
    rs.back().logins.push_back(st.text(2));
  }
  if (rc != SQLITE_DONE) return db_.failure("load reactions");
  return {};
}

expected<void> messages::exists(const std::string& message_id) {
  auto st = db_.prepare(sql_message_exists);
  if (!st) return db_.failure("find message");
  st.bind(message_id);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such message");
  if (rc != SQLITE_ROW) return db_.failure("find message");
  return {};
}

expected<bool> messages::add_reaction(const std::string& message_id, const std::string& emoji,
                                      const std::string& user_id, std::size_t max_distinct) {
  if (auto found = exists(message_id); !found) return found.error();
  {
    auto st = db_.prepare(sql_reaction_exists);
    if (!st) return db_.failure("find reaction");
    st.bind(message_id).bind(emoji).bind(user_id);
    const int rc = st.step();
    if (rc == SQLITE_ROW) return false;
    if (rc != SQLITE_DONE) return db_.failure("find reaction");
  }
  std::int64_t distinct = 0, has_emoji = 0, next = 1;
  {
    auto st = db_.prepare(sql_reaction_counts);
    if (!st) return db_.failure("count reactions");
    st.bind(emoji).bind(message_id);
    if (st.step() != SQLITE_ROW) return db_.failure("count reactions");
    distinct = st.int64(0);
    has_emoji = st.int64(1);
    next = st.int64(2);
  }
  if (!has_emoji && static_cast<std::size_t>(distinct) >= max_distinct)
    return make_error(errc::conflict, "this message has the most distinct reactions it may have");
  auto st = db_.prepare(sql_insert_reaction);
  if (!st) return db_.failure("add reaction");
  st.bind(message_id).bind(emoji).bind(user_id).bind(next).bind(now_ms());
  if (st.step() != SQLITE_DONE) return db_.failure("add reaction");
  return true;
}

expected<bool> messages::remove_reaction(const std::string& message_id, const std::string& emoji,
                                         const std::string& user_id) {
  if (auto found = exists(message_id); !found) return found.error();
  auto st = db_.prepare(sql_delete_reaction);
  if (!st) return db_.failure("remove reaction");
  st.bind(message_id).bind(emoji).bind(user_id);
  if (st.step() != SQLITE_DONE) return db_.failure("remove reaction");
  return db_.changes() > 0;
}

expected<append_result> messages::append_message(const new_message& msg) {
  if (msg.room_id.empty() || msg.author_id.empty())
    return make_error(errc::missing_field, "room_id and author_id are required");
  if (!msg.client_msg_id.empty()) {
    auto dup = find_duplicate(msg.author_id, msg.client_msg_id);
    if (dup) return resent(std::move(*dup), msg);
    if (!dup.not_found()) return dup.error();
  }

  // The answer is the row as stored, built from what is bound rather than read back
  // by id afterwards; only the author's profile comes from the store, read first so
  // that a failure there writes nothing.
  message_row m;
  m.author.id = msg.author_id;
  {
    auto st = db_.prepare(sql_author_by_id);
    if (!st) return db_.failure("message author");
    st.bind(msg.author_id);
    const int rc = st.step();
    if (rc == SQLITE_ROW) {
      m.author.login = st.text(0);
      m.author.name = st.text(1);
      m.author.avatar_url = st.text(2);
    } else if (rc != SQLITE_DONE) {
      return db_.failure("message author");
    }
  }

  // Inside the caller's transaction nothing is written before the insert has
  // succeeded (the seq is read, the row inserted, then the seq stored), so a rejected
  // insert needs no undo. A savepoint would make SQLite copy every page the batch had
  // already dirtied into its statement journal on each append (malloc, memcpy, heap
  // trims): half of an append's CPU. On its own (autocommit) the savepoint keeps the
  // row and its seq one atomic step. If storing the seq fails after the insert, the
  // failure aborts the caller's transaction (database), so the row never commits.
  savepoint sp{db_, database::append_savepoint, db_.autocommit()};
  if (!sp) return sp.error();

  const std::string id = msg.id.empty() ? make_id("msg") : msg.id;
  const std::int64_t created_at = msg.created_at != 0 ? msg.created_at : now_ms();

  std::int64_t seq = 0;
  std::int64_t reserved = 0;
  {
    auto st = db_.prepare(sql_channel_seq);
    if (!st) return db_.failure("next seq");
    st.bind(msg.room_id).bind(msg.channel_id);
    const int rc = st.step();
    if (rc == SQLITE_ROW) {
      seq = st.int64(0);
      reserved = st.int64(1);
    } else if (rc != SQLITE_DONE) {
      return db_.failure("next seq");
    }
  }
  seq = std::max(seq, msg.seq_floor) + 1;
  // Seqs are reserved a block ahead (append_result::reserved); a new block once this
  // one is used up.
  if (seq > reserved) reserved = seq + seq_reservation;

  int rc = SQLITE_OK;
  error_info cause;
  {
    auto st = db_.prepare(sql_insert_message);
    if (!st) return db_.failure("insert message");
    st.bind(id).bind(msg.room_id).bind(msg.channel_id).bind(seq).bind(msg.author_id);
    st.bind(msg.content).bind_text_or_null(msg.client_msg_id).bind(created_at);
    st.bind_text_or_null(msg.bot);
    rc = st.step();
    if (rc != SQLITE_DONE) cause = db_.failure("insert message");
  }
  if (rc != SQLITE_DONE) {
    // Lost a race with another connection appending the same client_msg_id (possible
    // only outside begin()): answer with the row that won.
    if (is_constraint(rc) && !msg.client_msg_id.empty()) {
      sp.rollback();
      if (auto dup = find_duplicate(msg.author_id, msg.client_msg_id))
        return resent(std::move(*dup), msg);
    }
    return cause;
  }
  {
    auto st = db_.prepare(sql_store_seq);
    if (!st) return db_.failure("store seq");
    st.bind(msg.room_id).bind(msg.channel_id).bind(seq).bind(reserved);
    // The row is in but its seq is not: only rolling back undoes it, so the failure is
    // one that aborts the transaction whatever SQLite called it.
    if (st.step() != SQLITE_DONE)
      return db_.fail(errc::internal, std::string{"store seq: "} + std::string{db_.message()});
  }
  if (auto r = sp.release(); !r) return r.error();

  m.id = id;
  m.room_id = msg.room_id;
  m.channel_id = msg.channel_id;
  m.seq = seq;
  m.content = msg.content;
  m.client_msg_id = msg.client_msg_id;
  m.created_at = created_at;
  m.bot = msg.bot;
  return append_result{std::move(m), false, reserved};
}

expected<message_row> messages::edit_message(const std::string& id, const std::string& content,
                                             std::int64_t edited_at) {
  {
    auto st = db_.prepare(sql_edit_message);
    if (!st) return db_.failure("edit message");
    st.bind(content).bind(edited_at).bind(id);
    if (st.step() != SQLITE_DONE) return db_.failure("edit message");
    if (db_.changes() == 0) return make_error(errc::not_found, "no such message");
  }
  return find_message(id);
}

expected<message_row> messages::delete_message(const std::string& id) {
  auto row = find_message(id);
  if (!row) return row;
  if (!row->client_msg_id.empty()) {
    auto keep = db_.prepare(sql_keep_client_id);
    if (!keep) return db_.failure("keep the client id of a deleted message");
    keep.bind(row->author.id).bind(row->client_msg_id).bind(row->id).bind(row->room_id);
    keep.bind(row->channel_id).bind(row->seq).bind(row->created_at).bind_text_or_null(row->bot);
    keep.bind(now_ms());
    if (keep.step() != SQLITE_DONE) return db_.failure("keep the client id of a deleted message");
  }
  auto st = db_.prepare(sql_delete_message);
  if (!st) return db_.failure("delete message");
  st.bind(id);
  if (st.step() != SQLITE_DONE) return db_.failure("delete message");
  if (db_.changes() == 0) return make_error(errc::not_found, "no such message");
  return row;
}

expected<std::vector<message_row>> messages::list_messages(const message_query& q) {
  const std::int64_t limit = std::clamp(q.limit, 1, max_query_rows);
  if (q.channel_ids && q.channel_id &&
      std::find(q.channel_ids->begin(), q.channel_ids->end(), *q.channel_id) ==
          q.channel_ids->end())
    return std::vector<message_row>{};

  if (q.after_seq) {
    if (!q.channel_id) return make_error(errc::bad_request, "after_seq requires channel_id");
    auto st = db_.prepare(sql_after_seq);
    if (!st) return db_.failure("list messages after seq");
    st.bind(q.room_id).bind(*q.channel_id).bind(*q.after_seq).bind(limit);
    return read_messages(st, "list messages after seq");
  }

  if (q.channel_ids && q.channel_ids->empty()) return std::vector<message_row>{};

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
  auto st = q.channel_ids ? db_.prepare_uncached(sql) : db_.prepare(sql);
  if (!st) return db_.failure("list messages");
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

expected<std::vector<message_row>> messages::tail(const std::string& room_id,
                                                  const std::string& channel_id, int n) {
  if (n <= 0) return std::vector<message_row>{};
  auto st = db_.prepare(sql_tail);
  if (!st) return db_.failure("tail");
  st.bind(room_id).bind(channel_id).bind(static_cast<std::int64_t>(n));
  auto out = read_messages(st, "tail");
  if (out) std::reverse(out->begin(), out->end());
  return out;
}

expected<std::int64_t> messages::last_seq(const std::string& room_id,
                                          const std::string& channel_id) {
  auto st = db_.prepare(sql_last_seq);
  if (!st) return db_.failure("last seq");
  st.bind(room_id).bind(channel_id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return st.int64(0);
  if (rc != SQLITE_DONE) return db_.failure("last seq");
  return std::int64_t{0};
}

expected<void> messages::skip_reserved_seqs() {
  return db_.run(sql_skip_reserved, "skip reserved seqs");
}

expected<void> messages::release_reserved_seqs() {
  return db_.run(sql_release_reserved, "release reserved seqs");
}

}  // namespace relay::storage::sqlite
