// The messages area on Postgres: appending with per-channel seqs taken under the
// counter's row lock (messages.hpp says why), edits, deletes that keep the client id, and
// the reads that page through a channel. Mirrors storage/sqlite/messages.cpp.
//
// An append is shaped around round trips, not statements: in cluster mode each node has
// one writer connection, and the counter's row lock is held from the seq's increment to
// the commit, so every round trip of an append lengthens the time the next appender of
// the channel waits (the cluster benchmark fell behind at 1,000 msgs/s in one channel
// with nine of them). So:
// * the duplicate check is one query over both tables, the live row first;
// * the seq, the insert and the author's profile are one statement (data-modifying
//   CTEs). Its insert has ON CONFLICT DO NOTHING on every key, so it never raises a
//   constraint error, and the step needs no savepoint (connection::run_unguarded);
// * when it inserted nothing (a concurrent node stored the same client id first, or
//   the message id or seq is taken), the seq goes back by an UPDATE instead of a
//   savepoint taken before every append for this rare case. The row lock, held since
//   the increment, means nobody has moved the counter since: setting it back to one
//   below our seq is exact, except after a seq_floor above the counter, where it stays at
//   the floor, whose seqs are burnt anyway.

#include "storage/postgres/messages.hpp"

#include <algorithm>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/postgres/message_columns.hpp"
#include "storage/postgres/threads.hpp"

namespace relay::storage::postgres {

namespace {

// Bots may post under ids that have no users row, hence the LEFT JOIN.
const std::string message_select =
    "SELECT m.id, m.room_id, m.channel_id, m.seq, m.author_id, COALESCE(u.login, ''),"
    " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), m.content,"
    " COALESCE(m.client_msg_id, ''), m.created_at, m.edited_at, COALESCE(m.thread_id, ''),"
    " COALESCE(m.bot, '') FROM messages m LEFT JOIN users u ON u.id = m.author_id ";

// The shapes of list_messages: which of its optional conditions a query has.
enum list_shape : unsigned { by_channel = 1, by_channel_set = 2, before_time = 4, before_id = 8 };

std::string list_statement(unsigned shape) {
  return "messages.list." + std::to_string(shape);
}

// Each shape has the conditions it needs and no others, so the planner can use the
// (room_id, channel_id, created_at, id) and (room_id, created_at, id) indexes.
std::string list_sql(unsigned shape) {
  std::string sql = message_select + "WHERE m.room_id = $1";
  int n = 2;
  auto param = [&n] { return "$" + std::to_string(n++); };
  if (shape & by_channel) sql += " AND m.channel_id = " + param();
  if (shape & by_channel_set) sql += " AND m.channel_id = ANY(" + param() + "::text[])";
  // before_id only breaks ties within before_created_at; on its own it cannot anchor.
  if (shape & before_id) {
    const auto at = param();
    sql += " AND (m.created_at, m.id) < (" + at + ", " + param() + ")";
  } else if (shape & before_time) {
    sql += " AND m.created_at < " + param();
  }
  return sql + " ORDER BY m.created_at DESC, m.id DESC LIMIT " + param();
}

// Fills in the reactions of `ms`, one query for all of them (messages.reactions).
void attach_reactions(pqxx::transaction_base& t, std::vector<message_row>& ms) {
  if (ms.empty()) return;
  std::vector<std::string> ids;
  std::unordered_map<std::string, message_row*> by_id;
  for (auto& m : ms) {
    ids.push_back(m.id);
    by_id[m.id] = &m;
  }
  for (const auto& r : t.exec_prepared("messages.reactions", text_array(ids))) {
    auto it = by_id.find(r[0].as<std::string>());
    if (it == by_id.end()) continue;
    auto& rs = it->second->reactions;
    auto emoji = r[1].as<std::string>();
    if (rs.empty() || rs.back().emoji != emoji) rs.push_back({std::move(emoji), {}});
    rs.back().logins.push_back(r[2].as<std::string>());
  }
}

std::vector<message_row> read_messages(pqxx::transaction_base& t, const pqxx::result& res) {
  std::vector<message_row> out;
  out.reserve(res.size());
  for (const auto& r : res) out.push_back(read_message(r));
  attach_reactions(t, out);
  attach_thread_counts(t, out);
  return out;
}

expected<message_row> one_message(pqxx::transaction_base& t, const pqxx::result& res) {
  if (res.empty()) return make_error(errc::not_found, "no such message");
  std::vector<message_row> one{read_message(res[0])};
  attach_reactions(t, one);
  attach_thread_counts(t, one);
  return std::move(one.front());
}

// The stored (or deleted) message with this (author, client id); `not_found` if none.
expected<message_row> find_duplicate(pqxx::transaction_base& t, const std::string& author_id,
                                     const std::string& client_msg_id) {
  auto res = t.exec_prepared("messages.duplicate", author_id, client_msg_id);
  if (!res.empty()) return read_message(res[0]);
  return make_error(errc::not_found, "no message with this client id");
}

}  // namespace

messages::messages(connection& c) : c_{c} {
  c_.prepare("messages.by_id", message_select + "WHERE m.id = $1");
  // The deleted arm has the same columns as message_select (a deleted message's content
  // is gone); the trailing column puts a live row first.
  c_.prepare("messages.duplicate",
             "SELECT m.id, m.room_id, m.channel_id, m.seq, m.author_id, COALESCE(u.login, ''),"
             " COALESCE(u.name, ''), COALESCE(u.avatar_url, ''), m.content,"
             " COALESCE(m.client_msg_id, ''), m.created_at, m.edited_at,"
             " COALESCE(m.thread_id, ''), COALESCE(m.bot, ''), 0 AS live_first FROM messages m"
             " LEFT JOIN users u ON u.id = m.author_id"
             " WHERE m.author_id = $1 AND m.client_msg_id = $2"
             " UNION ALL SELECT d.id, d.room_id, d.channel_id, d.seq, d.author_id,"
             " COALESCE(u.login, ''), COALESCE(u.name, ''), COALESCE(u.avatar_url, ''),"
             " ''::bytea, d.client_msg_id, d.created_at, NULL::bigint, '', COALESCE(d.bot, ''),"
             " 1 FROM deleted_messages d LEFT JOIN users u ON u.id = d.author_id"
             " WHERE d.author_id = $1 AND d.client_msg_id = $2 ORDER BY live_first LIMIT 1");
  c_.prepare("messages.keep_client_id",
             "INSERT INTO deleted_messages (author_id, client_msg_id, id, room_id, channel_id,"
             " seq, created_at, bot, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
             " NULLIF($8, ''), $9) ON CONFLICT (author_id, client_msg_id) DO UPDATE SET"
             " id = excluded.id, room_id = excluded.room_id, channel_id = excluded.channel_id,"
             " seq = excluded.seq, created_at = excluded.created_at, bot = excluded.bot,"
             " deleted_at = excluded.deleted_at");
  // The seq, the insert and the author in one statement (the header comment says why).
  // The answer has one row whatever the insert did: the seq taken, whether a row went in,
  // and the author's profile (bots may post under ids that have no users row).
  c_.prepare("messages.append",
             "WITH s AS (INSERT INTO channel_seqs AS c (room_id, channel_id, last_seq)"
             " VALUES ($2::text, $3::text, $9::bigint + 1) ON CONFLICT (room_id, channel_id)"
             " DO UPDATE SET last_seq = greatest(c.last_seq, $9::bigint) + 1"
             " RETURNING c.last_seq),"
             " m AS (INSERT INTO messages (id, room_id, channel_id, seq, author_id, content,"
             " client_msg_id, created_at, edited_at, thread_id, bot)"
             " SELECT $1::text, $2::text, $3::text, s.last_seq, $4::text, $5::bytea,"
             " NULLIF($6::text, ''), $7::bigint, NULL, NULL, NULLIF($8::text, '') FROM s"
             " ON CONFLICT DO NOTHING RETURNING id)"
             " SELECT s.last_seq, EXISTS (SELECT FROM m), COALESCE(u.login, ''),"
             " COALESCE(u.name, ''), COALESCE(u.avatar_url, '') FROM s"
             " LEFT JOIN users u ON u.id = $4::text");
  // Locks a channel's seq row, making it when the channel has none yet (its first
  // append then counts from it as from a missing row).
  c_.prepare("messages.lock_channel",
             "INSERT INTO channel_seqs AS c (room_id, channel_id, last_seq) VALUES ($1, $2, 0)"
             " ON CONFLICT (room_id, channel_id) DO UPDATE SET last_seq = c.last_seq");
  // Gives back a seq whose insert inserted nothing; the row lock is still ours.
  c_.prepare("messages.give_back_seq",
             "UPDATE channel_seqs SET last_seq = $3::bigint - 1"
             " WHERE room_id = $1 AND channel_id = $2 AND last_seq = $3::bigint");
  c_.prepare("messages.edit", "UPDATE messages SET content = $1, edited_at = $2 WHERE id = $3");
  c_.prepare("messages.delete", "DELETE FROM messages WHERE id = $1");
  c_.prepare("messages.after_seq",
             message_select +
                 "WHERE m.room_id = $1 AND m.channel_id = $2 AND m.seq > $3 ORDER BY m.seq"
                 " LIMIT $4");
  c_.prepare("messages.tail", message_select +
                                  "WHERE m.room_id = $1 AND m.channel_id = $2"
                                  " ORDER BY m.seq DESC LIMIT $3");
  // Ordered by each emoji's first `added`, then by `added` within it: the object's key
  // order and each list's order.
  c_.prepare("messages.reactions",
             "SELECT r.message_id, r.emoji, COALESCE(u.login, '') FROM reactions r"
             " LEFT JOIN users u ON u.id = r.user_id"
             " WHERE r.message_id = ANY($1::text[])"
             " ORDER BY r.message_id, min(r.added) OVER (PARTITION BY r.message_id, r.emoji),"
             " r.added");
  c_.prepare("messages.exists_for_update", "SELECT 1 FROM messages WHERE id = $1 FOR UPDATE");
  // Whether this user has it, how many distinct emoji the message has, whether this one is
  // among them, and the next ordinal.
  c_.prepare("messages.reaction_counts",
             "SELECT COALESCE(bool_or(emoji = $2 AND user_id = $3), false),"
             " count(DISTINCT emoji), COALESCE(bool_or(emoji = $2), false),"
             " COALESCE(max(added), 0) + 1 FROM reactions WHERE message_id = $1");
  c_.prepare("messages.add_reaction",
             "INSERT INTO reactions (message_id, emoji, user_id, added, created_at)"
             " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING");
  c_.prepare("messages.remove_reaction",
             "DELETE FROM reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3");
  c_.prepare("messages.last_seq",
             "SELECT last_seq FROM channel_seqs WHERE room_id = $1 AND channel_id = $2");
  for (unsigned shape = 0; shape < 16; ++shape)
    if (!(shape & before_id) || (shape & before_time))
      c_.prepare(list_statement(shape), list_sql(shape));
}

expected<message_row> messages::find_message(const std::string& id) {
  return c_.run("find message", [&](pqxx::transaction_base& t) {
    return one_message(t, t.exec_prepared("messages.by_id", id));
  });
}

expected<append_result> messages::append_message(const new_message& msg) {
  if (msg.room_id.empty() || msg.author_id.empty())
    return make_error(errc::missing_field, "room_id and author_id are required");
  const std::string id = msg.id.empty() ? make_id("msg") : msg.id;
  const std::int64_t created_at = msg.created_at != 0 ? msg.created_at : now_ms();
  const bool has_client_id = !msg.client_msg_id.empty();

  return c_.run_unguarded(
      "append message", [&](pqxx::transaction_base& t) -> expected<append_result> {
        if (has_client_id) {
          auto dup = find_duplicate(t, msg.author_id, msg.client_msg_id);
          if (dup) return resent(std::move(*dup), msg);
          if (!dup.not_found()) return dup.error();
        }
        const auto r = t.exec_prepared1("messages.append", id, msg.room_id, msg.channel_id,
                                        msg.author_id, pqxx::binarystring{msg.content},
                                        msg.client_msg_id, created_at, msg.bot, msg.seq_floor);
        const auto seq = r[0].as<std::int64_t>();
        if (!r[1].as<bool>()) {
          // Another node stored the same client id first (ours waited for its commit),
          // or the id or seq is taken: nothing went in, and the seq goes back.
          t.exec_prepared0("messages.give_back_seq", msg.room_id, msg.channel_id, seq);
          if (!has_client_id) return make_error(errc::conflict, "append message: id taken");
          auto dup = find_duplicate(t, msg.author_id, msg.client_msg_id);
          if (dup.not_found()) return make_error(errc::conflict, "append message: id taken");
          if (!dup) return dup.error();
          return resent(std::move(*dup), msg);
        }

        // The answer is the row as stored, built from what is sent rather than read back
        // by id afterwards; only the author's profile comes from the store.
        message_row m;
        m.id = id;
        m.room_id = msg.room_id;
        m.channel_id = msg.channel_id;
        m.seq = seq;
        m.author.id = msg.author_id;
        m.author.login = r[2].as<std::string>();
        m.author.name = r[3].as<std::string>();
        m.author.avatar_url = r[4].as<std::string>();
        m.content = msg.content;
        m.client_msg_id = msg.client_msg_id;
        m.created_at = created_at;
        m.bot = msg.bot;
        // Reserved up to its own seq: nothing is shown before the commit (messages.hpp).
        return append_result{std::move(m), false, seq};
      });
}

expected<message_row> messages::edit_message(const std::string& id, const std::string& content,
                                             std::int64_t edited_at) {
  return c_.run("edit message", [&](pqxx::transaction_base& t) -> expected<message_row> {
    if (t.exec_prepared("messages.edit", pqxx::binarystring{content}, edited_at, id)
            .affected_rows() == 0)
      return make_error(errc::not_found, "no such message");
    return one_message(t, t.exec_prepared("messages.by_id", id));
  });
}

expected<message_row> messages::delete_message(const std::string& id) {
  return c_.run("delete message", [&](pqxx::transaction_base& t) -> expected<message_row> {
    auto row = one_message(t, t.exec_prepared("messages.by_id", id));
    if (!row) return row;
    if (!row->client_msg_id.empty())
      t.exec_prepared0("messages.keep_client_id", row->author.id, row->client_msg_id, row->id,
                       row->room_id, row->channel_id, row->seq, row->created_at, row->bot,
                       now_ms());
    if (t.exec_prepared("messages.delete", id).affected_rows() == 0)
      return make_error(errc::not_found, "no such message");
    return row;
  });
}

expected<bool> messages::add_reaction(const std::string& message_id, const std::string& emoji,
                                      const std::string& user_id, std::size_t max_distinct) {
  return c_.run("add reaction", [&](pqxx::transaction_base& t) -> expected<bool> {
    // The message's row lock orders two nodes' reactions on it, so the limit holds.
    if (t.exec_prepared("messages.exists_for_update", message_id).empty())
      return make_error(errc::not_found, "no such message");
    const auto r = t.exec_prepared1("messages.reaction_counts", message_id, emoji, user_id);
    if (r[0].as<bool>()) return false;
    if (!r[2].as<bool>() && static_cast<std::size_t>(r[1].as<std::int64_t>()) >= max_distinct)
      return make_error(errc::conflict, "this message has the most distinct reactions it may have");
    t.exec_prepared0("messages.add_reaction", message_id, emoji, user_id, r[3].as<std::int64_t>(),
                     now_ms());
    return true;
  });
}

expected<bool> messages::remove_reaction(const std::string& message_id, const std::string& emoji,
                                         const std::string& user_id) {
  return c_.run("remove reaction", [&](pqxx::transaction_base& t) -> expected<bool> {
    if (t.exec_prepared("messages.exists_for_update", message_id).empty())
      return make_error(errc::not_found, "no such message");
    return t.exec_prepared("messages.remove_reaction", message_id, emoji, user_id).affected_rows() >
           0;
  });
}

expected<std::vector<message_row>> messages::list_messages(const message_query& q) {
  const std::int64_t limit = std::clamp(q.limit, 1, max_query_rows);
  if (q.channel_ids && q.channel_id &&
      std::find(q.channel_ids->begin(), q.channel_ids->end(), *q.channel_id) ==
          q.channel_ids->end())
    return std::vector<message_row>{};

  if (q.after_seq) {
    if (!q.channel_id) return make_error(errc::bad_request, "after_seq requires channel_id");
    return c_.run("list messages after seq",
                  [&](pqxx::transaction_base& t) -> expected<std::vector<message_row>> {
                    return read_messages(t, t.exec_prepared("messages.after_seq", q.room_id,
                                                            *q.channel_id, *q.after_seq, limit));
                  });
  }
  if (q.channel_ids && q.channel_ids->empty()) return std::vector<message_row>{};

  unsigned shape = 0;
  std::vector<std::string> params{q.room_id};
  if (q.channel_id) {
    shape |= by_channel;
    params.push_back(*q.channel_id);
  }
  if (q.channel_ids) {
    shape |= by_channel_set;
    params.push_back(text_array(*q.channel_ids));
  }
  if (q.before_created_at) {
    shape |= before_time;
    params.push_back(std::to_string(*q.before_created_at));
    if (q.before_id) {
      shape |= before_id;
      params.push_back(*q.before_id);
    }
  }
  params.push_back(std::to_string(limit));
  return c_.run(
      "list messages", [&](pqxx::transaction_base& t) -> expected<std::vector<message_row>> {
        return read_messages(
            t, t.exec_prepared(list_statement(shape), pqxx::prepare::make_dynamic_params(params)));
      });
}

expected<std::vector<message_row>> messages::tail(const std::string& room_id,
                                                  const std::string& channel_id, int n) {
  if (n <= 0) return std::vector<message_row>{};
  return c_.run("tail", [&](pqxx::transaction_base& t) -> expected<std::vector<message_row>> {
    auto out = read_messages(t, t.exec_prepared("messages.tail", room_id, channel_id, n));
    std::reverse(out.begin(), out.end());
    return out;
  });
}

expected<std::int64_t> messages::last_seq(const std::string& room_id,
                                          const std::string& channel_id) {
  return c_.run("last seq", [&](pqxx::transaction_base& t) -> expected<std::int64_t> {
    auto res = t.exec_prepared("messages.last_seq", room_id, channel_id);
    if (res.empty()) return std::int64_t{0};
    return res[0][0].as<std::int64_t>();
  });
}

expected<void> messages::skip_reserved_seqs() {
  return {};
}

expected<void> messages::release_reserved_seqs() {
  return {};
}

expected<void> messages::lock_channels(const std::vector<std::string>& channels) {
  return c_.run_unguarded("lock channels", [&](pqxx::transaction_base& t) -> expected<void> {
    for (const auto& key : channels) {
      const auto cut = key.find('\n');
      if (cut == std::string::npos) continue;
      t.exec_prepared0("messages.lock_channel", key.substr(0, cut), key.substr(cut + 1));
    }
    return {};
  });
}

}  // namespace relay::storage::postgres
