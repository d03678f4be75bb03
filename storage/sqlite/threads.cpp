// The threads area on SQLite: one thread per root (the UNIQUE root_id makes a second
// create return the first), replies numbered by the thread's counter, and the counts
// every read of a root carries.

#include "storage/sqlite/threads.hpp"

#include <sqlite3.h>

#include <unordered_map>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/sqlite/message_columns.hpp"

namespace relay::storage::sqlite {

namespace {

const std::string thread_select =
    "SELECT t.id, t.room_id, COALESCE(r.slug, ''), t.channel_id, t.root_id, t.reply_count,"
    " t.last_reply_at, t.created_at FROM threads t LEFT JOIN rooms r ON r.id = t.room_id ";
const std::string sql_thread_by_id = thread_select + "WHERE t.id = ?";
const std::string sql_thread_by_root = thread_select + "WHERE t.root_id = ?";
const std::string sql_root = "SELECT room_id, channel_id FROM messages WHERE id = ?";
const std::string sql_insert_thread =
    "INSERT INTO threads (id, room_id, channel_id, root_id, reply_count, last_reply_at,"
    " created_at) VALUES (?, ?, ?, ?, 0, NULL, ?) ON CONFLICT (root_id) DO NOTHING";
const std::string sql_mark_root = "UPDATE messages SET thread_id = ? WHERE id = ?";
// The messages area's columns (message_columns.hpp): the room and channel are the
// thread's; replies are never edited and have no bot.
const std::string reply_select =
    "SELECT p.id, t.room_id, t.channel_id, p.seq, p.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), p.content,"
    " COALESCE(p.client_msg_id, ''), p.created_at, NULL, p.thread_id, '' FROM thread_replies p"
    " JOIN threads t ON t.id = p.thread_id LEFT JOIN users u ON u.id = p.author_id ";
const std::string sql_reply_by_client_id =
    reply_select + "WHERE p.thread_id = ? AND p.author_id = ? AND p.client_msg_id = ?";
const std::string sql_reply_by_id = reply_select + "WHERE p.id = ?";
const std::string sql_replies_after =
    reply_select + "WHERE p.thread_id = ? AND p.seq > ? ORDER BY p.seq LIMIT ?";
const std::string sql_count_reply =
    "UPDATE threads SET reply_count = reply_count + 1, last_reply_at = ? WHERE id = ?"
    " RETURNING reply_count";
const std::string sql_insert_reply =
    "INSERT INTO thread_replies (id, thread_id, seq, author_id, content, client_msg_id,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";

thread_row read_thread(statement& st) {
  thread_row t;
  t.id = st.text(0);
  t.room_id = st.text(1);
  t.room_slug = st.text(2);
  t.channel_id = st.text(3);
  t.root_id = st.text(4);
  t.reply_count = st.int64(5);
  t.last_reply_at = st.opt_int64(6);
  t.created_at = st.int64(7);
  return t;
}

}  // namespace

expected<thread_row> threads::find_thread(const std::string& id) {
  auto st = db_.prepare(sql_thread_by_id);
  if (!st) return db_.failure("find thread");
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_thread(st);
  if (rc != SQLITE_DONE) return db_.failure("find thread");
  return make_error(errc::not_found, "no such thread");
}

expected<thread_row> threads::create_thread(const std::string& root_id, bool& created) {
  created = false;
  std::string room_id, channel_id;
  {
    auto st = db_.prepare(sql_root);
    if (!st) return db_.failure("find root");
    st.bind(root_id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such message");
    if (rc != SQLITE_ROW) return db_.failure("find root");
    room_id = st.text(0);
    channel_id = st.text(1);
  }
  const std::string id = make_id("thr");
  {
    auto st = db_.prepare(sql_insert_thread);
    if (!st) return db_.failure("create thread");
    st.bind(id).bind(room_id).bind(channel_id).bind(root_id).bind(now_ms());
    if (st.step() != SQLITE_DONE) return db_.failure("create thread");
    created = db_.changes() > 0;
  }
  if (created) {
    auto st = db_.prepare(sql_mark_root);
    if (!st) return db_.failure("mark root");
    st.bind(id).bind(root_id);
    if (st.step() != SQLITE_DONE) return db_.failure("mark root");
  }
  auto st = db_.prepare(sql_thread_by_root);
  if (!st) return db_.failure("find thread");
  st.bind(root_id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_thread(st);
  return db_.failure("find thread");
}

expected<message_row> threads::find_reply(const std::string& thread_id,
                                          const std::string& author_id,
                                          const std::string& client_msg_id) {
  auto st = db_.prepare(sql_reply_by_client_id);
  if (!st) return db_.failure("find reply");
  st.bind(thread_id).bind(author_id).bind(client_msg_id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_message(st);
  if (rc != SQLITE_DONE) return db_.failure("find reply");
  return make_error(errc::not_found, "no such reply");
}

expected<append_result> threads::append_reply(const new_reply& r) {
  if (r.thread_id.empty() || r.author_id.empty())
    return make_error(errc::missing_field, "thread_id and author_id are required");
  if (!r.client_msg_id.empty()) {
    auto dup = find_reply(r.thread_id, r.author_id, r.client_msg_id);
    if (dup) return append_result{std::move(*dup), true};
    if (!dup.not_found()) return dup.error();
  }
  const std::string id = r.id.empty() ? make_id("msg") : r.id;
  const std::int64_t created_at = r.created_at != 0 ? r.created_at : now_ms();
  // Numbering and inserting are one step of the caller's transaction: a failed insert
  // fails the batch, which rolls the count back with it.
  std::int64_t seq = 0;
  {
    auto st = db_.prepare(sql_count_reply);
    if (!st) return db_.failure("count reply");
    st.bind(created_at).bind(r.thread_id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such thread");
    if (rc != SQLITE_ROW) return db_.failure("count reply");
    seq = st.int64(0);
    if (st.step() != SQLITE_DONE) return db_.failure("count reply");
  }
  {
    auto st = db_.prepare(sql_insert_reply);
    if (!st) return db_.failure("insert reply");
    st.bind(id).bind(r.thread_id).bind(seq).bind(r.author_id).bind(r.content);
    st.bind_text_or_null(r.client_msg_id).bind(created_at);
    if (st.step() != SQLITE_DONE) return db_.failure("insert reply");
  }
  auto st = db_.prepare(sql_reply_by_id);
  if (!st) return db_.failure("read reply");
  st.bind(id);
  if (st.step() != SQLITE_ROW) return db_.failure("read reply");
  return append_result{read_message(st), false};
}

expected<std::vector<message_row>> threads::list_replies(const std::string& thread_id,
                                                         std::int64_t after_seq, int limit) {
  auto st = db_.prepare(sql_replies_after);
  if (!st) return db_.failure("list replies");
  st.bind(thread_id).bind(after_seq).bind(static_cast<std::int64_t>(limit));
  std::vector<message_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_message(st));
  if (rc != SQLITE_DONE) return db_.failure("list replies");
  return out;
}

expected<void> attach_thread_counts(database& db, std::vector<message_row>& ms) {
  std::unordered_map<std::string, message_row*> by_thread;
  for (auto& m : ms)
    if (!m.thread_id.empty()) by_thread[m.thread_id] = &m;
  if (by_thread.empty()) return {};
  std::string sql = "SELECT id, reply_count, last_reply_at FROM threads WHERE id IN (";
  for (std::size_t i = 0; i < by_thread.size(); ++i) sql += i == 0 ? "?" : ", ?";
  sql += ")";
  auto st = db.prepare_uncached(sql);
  if (!st) return db.failure("load thread counts");
  for (auto& [id, m] : by_thread) st.bind(id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    auto it = by_thread.find(st.text(0));
    if (it == by_thread.end()) continue;
    it->second->reply_count = st.int64(1);
    it->second->last_reply_at = st.opt_int64(2);
  }
  if (rc != SQLITE_DONE) return db.failure("load thread counts");
  return {};
}

}  // namespace relay::storage::sqlite
