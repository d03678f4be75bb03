// The SQLite half of moving old messages to the Postgres archive: see
// storage/archive_source.hpp for the steps of a batch and why each is safe to repeat.

#include "storage/sqlite/archiving.hpp"

#include <sqlite3.h>

namespace relay::storage::sqlite {

namespace {

const std::string sql_candidates =
    "SELECT id, room_id, channel_id, seq, author_id, content, COALESCE(client_msg_id, ''),"
    " created_at, edited_at, COALESCE(thread_id, ''), COALESCE(bot, '') FROM messages"
    " WHERE created_at < ? ORDER BY created_at, id LIMIT ?";
const std::string sql_current = "SELECT content, edited_at FROM messages WHERE id = ?";
const std::string sql_forget = "DELETE FROM messages WHERE id = ?";
const std::string sql_raise_mark =
    "INSERT INTO archived_upto (room_id, channel_id, seq) VALUES (?, ?, ?)"
    " ON CONFLICT (room_id, channel_id) DO UPDATE SET seq = max(seq, excluded.seq)";
const std::string sql_keep_client_id =
    "INSERT OR REPLACE INTO archived_client_ids (author_id, client_msg_id, id, room_id,"
    " channel_id, seq, created_at, bot) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const std::string sql_settle = "INSERT OR REPLACE INTO archive_settling (id, gone) VALUES (?, ?)";
const std::string sql_settling = "SELECT id, gone FROM archive_settling";
const std::string sql_settled = "DELETE FROM archive_settling WHERE id = ?";
const std::string sql_holds = "SELECT 1 FROM messages WHERE id = ?";
// A channel's mark outlives the channel (delete_channel leaves it) so that the archiver
// finds the channel's archived messages to drop. The room-wide thread ('') is never
// deleted.
const std::string sql_deleted_channels =
    "SELECT a.room_id, a.channel_id FROM archived_upto a WHERE a.channel_id <> ''"
    " AND NOT EXISTS (SELECT 1 FROM channels c WHERE c.id = a.channel_id)";
const std::string sql_forget_mark =
    "DELETE FROM archived_upto WHERE room_id = ? AND channel_id = ?";
const std::string sql_forget_client_ids =
    "DELETE FROM archived_client_ids WHERE room_id = ? AND channel_id = ?";
const std::string sql_mark = "SELECT seq FROM archived_upto WHERE room_id = ? AND channel_id = ?";
const std::string sql_room_mark = "SELECT 1 FROM archived_upto WHERE room_id = ? LIMIT 1";

}  // namespace

expected<std::vector<message_row>> archiving::archive_candidates(std::int64_t created_before,
                                                                 int limit) {
  auto st = db_.prepare(sql_candidates);
  if (!st) return db_.failure("archive candidates");
  st.bind(created_before).bind(static_cast<std::int64_t>(limit));
  std::vector<message_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    message_row m;
    m.id = st.text(0);
    m.room_id = st.text(1);
    m.channel_id = st.text(2);
    m.seq = st.int64(3);
    m.author.id = st.text(4);
    m.content = st.text(5);
    m.client_msg_id = st.text(6);
    m.created_at = st.int64(7);
    m.edited_at = st.opt_int64(8);
    m.thread_id = st.text(9);
    m.bot = st.text(10);
    out.push_back(std::move(m));
  }
  if (rc != SQLITE_DONE) return db_.failure("archive candidates");
  return out;
}

expected<forgotten> archiving::forget_archived(const std::vector<message_row>& rows) {
  forgotten out;
  for (const auto& m : rows) {
    bool unchanged = false, present = false;
    {
      auto st = db_.prepare(sql_current);
      if (!st) return db_.failure("archived message");
      st.bind(m.id);
      const int rc = st.step();
      if (rc == SQLITE_ROW) {
        present = true;
        unchanged = st.text(0) == m.content && st.opt_int64(1) == m.edited_at;
      } else if (rc != SQLITE_DONE) {
        return db_.failure("archived message");
      }
    }
    if (present && !unchanged) continue;  // edited meanwhile: the next batch moves the edit
    auto settle = db_.prepare(sql_settle);
    if (!settle) return db_.failure("settle archived message");
    settle.bind(m.id).bind(std::int64_t{present ? 0 : 1});
    if (settle.step() != SQLITE_DONE) return db_.failure("settle archived message");
    if (!present) {
      out.gone.push_back(m.id);
      continue;
    }
    auto del = db_.prepare(sql_forget);
    if (!del) return db_.failure("forget archived message");
    del.bind(m.id);
    if (del.step() != SQLITE_DONE) return db_.failure("forget archived message");
    auto mark = db_.prepare(sql_raise_mark);
    if (!mark) return db_.failure("archived seq");
    mark.bind(m.room_id).bind(m.channel_id).bind(m.seq);
    if (mark.step() != SQLITE_DONE) return db_.failure("archived seq");
    if (!m.client_msg_id.empty()) {
      auto keep = db_.prepare(sql_keep_client_id);
      if (!keep) return db_.failure("keep archived client id");
      keep.bind(m.author.id).bind(m.client_msg_id).bind(m.id).bind(m.room_id);
      keep.bind(m.channel_id).bind(m.seq).bind(m.created_at).bind_text_or_null(m.bot);
      if (keep.step() != SQLITE_DONE) return db_.failure("keep archived client id");
    }
    out.moved.push_back(m.id);
  }
  return out;
}

expected<forgotten> archiving::settling() {
  auto st = db_.prepare(sql_settling);
  if (!st) return db_.failure("archive settling");
  forgotten out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    (st.int64(1) != 0 ? out.gone : out.moved).push_back(st.text(0));
  if (rc != SQLITE_DONE) return db_.failure("archive settling");
  return out;
}

expected<void> archiving::clear_settling(const forgotten& done) {
  for (const auto* ids : {&done.moved, &done.gone})
    for (const auto& id : *ids) {
      auto st = db_.prepare(sql_settled);
      if (!st) return db_.failure("clear archive settling");
      st.bind(id);
      if (st.step() != SQLITE_DONE) return db_.failure("clear archive settling");
    }
  return {};
}

expected<std::vector<std::pair<std::string, std::string>>> archiving::deleted_archived_channels() {
  auto st = db_.prepare(sql_deleted_channels);
  if (!st) return db_.failure("deleted archived channels");
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.emplace_back(st.text(0), st.text(1));
  if (rc != SQLITE_DONE) return db_.failure("deleted archived channels");
  return out;
}

expected<void> archiving::forget_archived_channel(const std::string& room_id,
                                                  const std::string& channel_id) {
  for (const auto* sql : {&sql_forget_mark, &sql_forget_client_ids}) {
    auto st = db_.prepare(*sql);
    if (!st) return db_.failure("forget archived channel");
    st.bind(room_id).bind(channel_id);
    if (st.step() != SQLITE_DONE) return db_.failure("forget archived channel");
  }
  return {};
}

expected<bool> archiving::holds_message(const std::string& id) {
  auto st = db_.prepare(sql_holds);
  if (!st) return db_.failure("holds message");
  st.bind(id);
  const int rc = st.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.failure("holds message");
  return rc == SQLITE_ROW;
}

expected<std::int64_t> archiving::archived_upto(const std::string& room_id,
                                                const std::string& channel_id) {
  auto st = db_.prepare(sql_mark);
  if (!st) return db_.failure("archived seq");
  st.bind(room_id).bind(channel_id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return st.int64(0);
  if (rc != SQLITE_DONE) return db_.failure("archived seq");
  return std::int64_t{0};
}

expected<bool> archiving::room_archived(const std::string& room_id) {
  auto st = db_.prepare(sql_room_mark);
  if (!st) return db_.failure("room archived");
  st.bind(room_id);
  const int rc = st.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.failure("room archived");
  return rc == SQLITE_ROW;
}

}  // namespace relay::storage::sqlite
