// The threads area on Postgres. Mirrors storage/sqlite/threads.cpp.

#include "storage/postgres/threads.hpp"

#include <unordered_map>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/postgres/message_columns.hpp"

namespace relay::storage::postgres {

namespace {

const std::string thread_select =
    "SELECT t.id, t.room_id, COALESCE(r.slug, ''), t.channel_id, t.root_id, t.reply_count,"
    " t.last_reply_at, t.created_at FROM threads t LEFT JOIN rooms r ON r.id = t.room_id ";
// The messages area's columns (message_columns.hpp): the room and channel are the
// thread's; replies are never edited and have no bot.
const std::string reply_select =
    "SELECT p.id, t.room_id, t.channel_id, p.seq, p.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), p.content,"
    " COALESCE(p.client_msg_id, ''), p.created_at, NULL::bigint, p.thread_id, ''"
    " FROM thread_replies p JOIN threads t ON t.id = p.thread_id"
    " LEFT JOIN users u ON u.id = p.author_id ";

thread_row read_thread(const pqxx::row& r) {
  thread_row t;
  t.id = r[0].as<std::string>();
  t.room_id = r[1].as<std::string>();
  t.room_slug = r[2].as<std::string>();
  t.channel_id = r[3].as<std::string>();
  t.root_id = r[4].as<std::string>();
  t.reply_count = r[5].as<std::int64_t>();
  if (!r[6].is_null()) t.last_reply_at = r[6].as<std::int64_t>();
  t.created_at = r[7].as<std::int64_t>();
  return t;
}

}  // namespace

threads::threads(connection& c) : c_{c} {
  c_.prepare("threads.by_id", thread_select + "WHERE t.id = $1");
  c_.prepare("threads.by_root", thread_select + "WHERE t.root_id = $1");
  c_.prepare("threads.root", "SELECT room_id, channel_id FROM messages WHERE id = $1");
  c_.prepare("threads.insert",
             "INSERT INTO threads (id, room_id, channel_id, root_id, reply_count, last_reply_at,"
             " created_at) VALUES ($1, $2, $3, $4, 0, NULL, $5) ON CONFLICT (root_id) DO NOTHING");
  c_.prepare("threads.mark_root", "UPDATE messages SET thread_id = $1 WHERE id = $2");
  c_.prepare("threads.lock", "SELECT 1 FROM threads WHERE id = $1 FOR UPDATE");
  c_.prepare("threads.reply_by_client_id",
             reply_select + "WHERE p.thread_id = $1 AND p.author_id = $2 AND p.client_msg_id = $3");
  c_.prepare("threads.reply_by_id", reply_select + "WHERE p.id = $1");
  c_.prepare("threads.replies_after",
             reply_select + "WHERE p.thread_id = $1 AND p.seq > $2 ORDER BY p.seq LIMIT $3");
  c_.prepare("threads.count_reply",
             "UPDATE threads SET reply_count = reply_count + 1, last_reply_at = $1 WHERE id = $2"
             " RETURNING reply_count");
  c_.prepare("threads.insert_reply",
             "INSERT INTO thread_replies (id, thread_id, seq, author_id, content, client_msg_id,"
             " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)");
}

expected<thread_row> threads::find_thread(const std::string& id) {
  return c_.run("find thread", [&](pqxx::transaction_base& t) -> expected<thread_row> {
    auto res = t.exec_prepared("threads.by_id", id);
    if (res.empty()) return make_error(errc::not_found, "no such thread");
    return read_thread(res[0]);
  });
}

expected<thread_row> threads::create_thread(const std::string& root_id, bool& created) {
  created = false;
  return c_.run("create thread", [&](pqxx::transaction_base& t) -> expected<thread_row> {
    auto root = t.exec_prepared("threads.root", root_id);
    if (root.empty()) return make_error(errc::not_found, "no such message");
    const std::string id = make_id("thr");
    // Another node creating the same root's thread makes this insert wait for its commit,
    // then do nothing: both answer the one thread.
    created = t.exec_prepared("threads.insert", id, root[0][0].as<std::string>(),
                              root[0][1].as<std::string>(), root_id, now_ms())
                  .affected_rows() > 0;
    if (created) t.exec_prepared0("threads.mark_root", id, root_id);
    return read_thread(t.exec_prepared1("threads.by_root", root_id));
  });
}

expected<append_result> threads::append_reply(const new_reply& r) {
  if (r.thread_id.empty() || r.author_id.empty())
    return make_error(errc::missing_field, "thread_id and author_id are required");
  return c_.run("append reply", [&](pqxx::transaction_base& t) -> expected<append_result> {
    if (t.exec_prepared("threads.lock", r.thread_id).empty())
      return make_error(errc::not_found, "no such thread");
    if (!r.client_msg_id.empty()) {
      auto dup =
          t.exec_prepared("threads.reply_by_client_id", r.thread_id, r.author_id, r.client_msg_id);
      if (!dup.empty()) return append_result{read_message(dup[0]), true};
    }
    const std::string id = r.id.empty() ? make_id("msg") : r.id;
    const std::int64_t created_at = r.created_at != 0 ? r.created_at : now_ms();
    auto seq =
        t.exec_prepared1("threads.count_reply", created_at, r.thread_id)[0].as<std::int64_t>();
    std::optional<std::string> client_id;
    if (!r.client_msg_id.empty()) client_id = r.client_msg_id;
    t.exec_prepared0("threads.insert_reply", id, r.thread_id, seq, r.author_id,
                     pqxx::binarystring{r.content}, client_id, created_at);
    return append_result{read_message(t.exec_prepared1("threads.reply_by_id", id)), false};
  });
}

expected<std::vector<message_row>> threads::list_replies(const std::string& thread_id,
                                                         std::int64_t after_seq, int limit) {
  return c_.run("list replies",
                [&](pqxx::transaction_base& t) -> expected<std::vector<message_row>> {
                  std::vector<message_row> out;
                  for (const auto& r : t.exec_prepared("threads.replies_after", thread_id,
                                                       after_seq, static_cast<std::int64_t>(limit)))
                    out.push_back(read_message(r));
                  return out;
                });
}

void attach_thread_counts(pqxx::transaction_base& t, std::vector<message_row>& ms) {
  std::unordered_map<std::string, message_row*> by_thread;
  std::vector<std::string> ids;
  for (auto& m : ms)
    if (!m.thread_id.empty() && by_thread.emplace(m.thread_id, &m).second)
      ids.push_back(m.thread_id);
  if (ids.empty()) return;
  // Not a prepared statement: the messages area reads through this without depending on
  // the threads area having declared its statements on the connection.
  for (const auto& r : t.exec_params("SELECT id, reply_count, last_reply_at FROM threads"
                                     " WHERE id = ANY($1::text[])",
                                     text_array(ids))) {
    auto it = by_thread.find(r[0].as<std::string>());
    if (it == by_thread.end()) continue;
    it->second->reply_count = r[1].as<std::int64_t>();
    if (!r[2].is_null()) it->second->last_reply_at = r[2].as<std::int64_t>();
  }
}

}  // namespace relay::storage::postgres
