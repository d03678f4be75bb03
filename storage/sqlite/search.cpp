// Search on SQLite. The index (search_docs + the contentless FTS5 table search_fts,
// storage/migrations.cpp) is written by triggers, so it is exact in every transaction
// that writes a message; this file only reads it.
//
// Access is decided here, at query time, by the same rules as actors/chat/access.cpp:
// a room is entered when it is open, owned by the caller or lists the caller's login or
// email on its whitelist (ASCII case-insensitively, as NOCASE compares); in it, the
// room-wide thread and public channels are seen by all, other channels by members.
// Deciding it in the one SELECT that finds the hits means a hit can never outlive the
// access that let it through.
//
// With the Postgres archive attached (a store reader's), messages that moved there are
// searched there too: SQLite's hits first, the archive's after them (its messages are
// older), one list and one cursor (positions from `archived_positions` up are the
// archive's). The archive is told which (room, channel) pairs the caller may see, as
// SQLite's rooms, whitelists and memberships say now, the same rules as above.

#include "storage/sqlite/search.hpp"

#include <sqlite3.h>

#include <map>

#include "storage/postgres/archive.hpp"
#include "storage/sqlite/message_columns.hpp"

namespace relay::storage::sqlite {

namespace {

// The rooms the caller may enter (?1 user id, ?2 login, ?3 email).
const std::string rooms_entered =
    "entered AS (SELECT r.id, r.slug FROM rooms r WHERE r.whitelist_only = 0"
    " OR r.owner_id = ?1 OR EXISTS (SELECT 1 FROM whitelist w WHERE w.room_id = r.id AND"
    " ((w.login IS NOT NULL AND w.login = ?2 COLLATE NOCASE) OR (w.email IS NOT NULL AND"
    " ?3 <> '' AND w.email = ?3 COLLATE NOCASE))))";

// Same columns as the messages area's reads (sqlite/messages.cpp), for a message or a
// reply, then the hit's place.
const std::string hit_columns =
    "d.ref_id, d.room_id, d.channel_id, COALESCE(m.seq, p.seq), d.author_id,"
    " COALESCE(u.login, ''), COALESCE(u.name, ''), COALESCE(u.avatar_url, ''),"
    " COALESCE(m.content, p.content), COALESCE(m.client_msg_id, p.client_msg_id, ''),"
    " d.created_at, m.edited_at, COALESCE(m.thread_id, p.thread_id, ''), COALESCE(m.bot, ''),"
    " d.is_reply, e.slug, COALESCE(c.slug, ''), COALESCE(c.name, ''), d.doc";

search_hit read_hit(const statement& st) {
  search_hit h;
  h.message = read_message(st);
  h.reply = st.int64(14) != 0;
  h.room_slug = st.text(15);
  h.channel_slug = st.text(16);
  h.channel_name = st.text(17);
  h.position = st.int64(18);
  return h;
}

}  // namespace

expected<std::vector<search_hit>> search::search_messages(const search_request& r) {
  const bool in_archive = r.after_position && *r.after_position >= archived_positions;
  std::vector<search_hit> out;
  if (!in_archive) {
    auto hot = search_hot(r);
    if (!hot || !cold_) return hot;
    out = std::move(*hot);
  } else if (!cold_) {
    return out;  // a cursor from before the archive was turned off
  }
  // Thread replies and attachments never leave SQLite: the archive has no hit for these.
  if (out.size() >= static_cast<std::size_t>(r.limit) || r.is_thread || r.has_attachment)
    return out;
  // The archive's hits follow SQLite's last: from its newest (or its first by relevance)
  // unless the cursor is in the archive already.
  search_request c = r;
  c.limit = r.limit - static_cast<int>(out.size());
  c.after_position.reset();
  if (in_archive) c.after_position = *r.after_position - archived_positions;
  auto cold = search_cold(c);
  if (!cold) return cold.error();
  for (auto& h : *cold) out.push_back(std::move(h));
  return out;
}

expected<std::vector<search_hit>> search::search_cold(const search_request& r) {
  // The channels the caller may see now: the room-wide thread of each room entered, its
  // public channels and those the caller is a member of; narrowed by in:.
  auto st = db_.prepare(
      "WITH " + rooms_entered +
      " SELECT e.id, e.slug, '', '', '' FROM entered e WHERE (?4 = '' OR e.slug = ?4) AND ?6 = 0"
      " UNION ALL SELECT c.room_id, e.slug, c.id, c.slug, c.name FROM channels c"
      " JOIN entered e ON e.id = c.room_id WHERE (c.visibility = 'public' OR EXISTS (SELECT 1"
      " FROM channel_members cm WHERE cm.channel_id = c.id AND cm.user_id = ?1))"
      " AND (?4 = '' OR e.slug = ?4) AND (?6 = 0 OR c.slug = ?5)");
  if (!st) return db_.failure("search visible channels");
  st.bind(r.user_id).bind(r.login).bind(r.email).bind(r.room_slug);
  st.bind(r.channel_slug.value_or("")).bind(std::int64_t{r.channel_slug ? 1 : 0});
  std::vector<std::string> room_ids, channel_ids;
  struct place {
    std::string room_slug, channel_slug, channel_name;
  };
  std::map<std::pair<std::string, std::string>, place> places;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    room_ids.push_back(st.text(0));
    channel_ids.push_back(st.text(2));
    places[{st.text(0), st.text(2)}] = {st.text(1), st.text(3), st.text(4)};
  }
  if (rc != SQLITE_DONE) return db_.failure("search visible channels");
  if (room_ids.empty()) return std::vector<search_hit>{};

  std::string author_id;
  if (!r.from_login.empty()) {
    auto u = db_.prepare("SELECT id FROM users WHERE login = ?1 COLLATE NOCASE");
    if (!u) return db_.failure("search author");
    u.bind(r.from_login);
    if ((rc = u.step()) != SQLITE_ROW) {
      if (rc != SQLITE_DONE) return db_.failure("search author");
      return std::vector<search_hit>{};  // nobody by that login wrote anything
    }
    author_id = u.text(0);
  }

  auto hits = cold_->search(r, room_ids, channel_ids, author_id);
  if (!hits) return hits.error();
  // The archive holds the author's id only: the profile is SQLite's, as its join gives.
  std::map<std::string, author_row> authors;
  std::int64_t rank = r.after_position.value_or(0);
  for (auto& h : *hits) {
    auto& m = h.message;
    const auto& where = places[{m.room_id, m.channel_id}];
    h.room_slug = where.room_slug;
    h.channel_slug = where.channel_slug;
    h.channel_name = where.channel_name;
    auto it = authors.find(m.author.id);
    if (it == authors.end()) {
      author_row a{m.author.id, "", "", ""};
      auto u = db_.prepare("SELECT login, name, avatar_url FROM users WHERE id = ?1");
      if (!u) return db_.failure("search author");
      u.bind(m.author.id);
      if ((rc = u.step()) == SQLITE_ROW) {
        a.login = u.text(0);
        a.name = u.text(1);
        a.avatar_url = u.text(2);
      } else if (rc != SQLITE_DONE) {
        return db_.failure("search author");
      }
      it = authors.emplace(m.author.id, std::move(a)).first;
    }
    m.author = it->second;
    h.position = archived_positions + (r.by_relevance && !r.ts_match.empty() ? ++rank : h.position);
  }
  return hits;
}

expected<std::vector<search_hit>> search::search_hot(const search_request& r) {
  const bool fts = !r.match.empty();
  std::string sql = "WITH " + rooms_entered + " SELECT " + hit_columns;
  sql += fts ? " FROM search_fts f JOIN search_docs d ON d.doc = f.rowid" : " FROM search_docs d";
  sql +=
      " JOIN entered e ON e.id = d.room_id"
      " LEFT JOIN channels c ON c.id = d.channel_id"
      " LEFT JOIN messages m ON d.is_reply = 0 AND m.id = d.ref_id"
      " LEFT JOIN thread_replies p ON d.is_reply = 1 AND p.id = d.ref_id"
      " LEFT JOIN users u ON u.id = d.author_id"
      " WHERE (d.channel_id = '' OR c.visibility = 'public' OR EXISTS (SELECT 1 FROM"
      " channel_members cm WHERE cm.channel_id = d.channel_id AND cm.user_id = ?1))"
      // A channel row that is gone takes its visibility with it.
      " AND (d.channel_id = '' OR c.id IS NOT NULL)";
  // Parameters after ?1..?3 are numbered in the order the conditions are added.
  std::vector<std::string> texts;
  std::vector<std::int64_t> ints;
  struct param {
    bool text;
    std::size_t at;
  };
  std::vector<param> order;
  auto text = [&](std::string v) {
    texts.push_back(std::move(v));
    order.push_back({true, texts.size() - 1});
    return "?" + std::to_string(order.size() + 3);
  };
  auto integer = [&](std::int64_t v) {
    ints.push_back(v);
    order.push_back({false, ints.size() - 1});
    return "?" + std::to_string(order.size() + 3);
  };
  if (fts) sql += " AND search_fts MATCH " + text(r.match);
  if (!fts && !r.excluded.empty())
    sql += " AND d.doc NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH " +
           text(r.excluded) + ")";
  if (!r.room_slug.empty()) sql += " AND e.slug = " + text(r.room_slug);
  if (r.channel_slug) sql += " AND c.slug = " + text(*r.channel_slug);
  // The author's id, so that the plan walks search_docs_by_author (that author's docs,
  // newest first) whatever the planner guesses about the users join. Without that index
  // a filter-only page scanned search_docs: ~30 ms at 1,000,000 messages.
  if (!r.from_login.empty()) {
    auto who = db_.prepare("SELECT id FROM users WHERE login = ? COLLATE NOCASE");
    if (!who) return db_.failure("search author");
    who.bind(r.from_login);
    const int found = who.step();
    if (found == SQLITE_DONE) return std::vector<search_hit>{};  // nobody by that login
    if (found != SQLITE_ROW) return db_.failure("search author");
    sql += " AND d.author_id = " + text(who.text(0));
  }
  if (r.before_ms) sql += " AND d.created_at < " + integer(*r.before_ms);
  if (r.after_ms) sql += " AND d.created_at >= " + integer(*r.after_ms);
  if (r.has_link) sql += " AND d.has_link = 1";
  if (r.has_attachment)
    sql +=
        " AND EXISTS (SELECT 1 FROM attachments a WHERE a.entity_type = 'message' AND"
        " a.entity_id = d.ref_id)";
  if (r.is_thread) sql += " AND d.is_reply = 1";
  if (r.by_relevance && fts) {
    sql += " ORDER BY f.rank, d.doc DESC LIMIT " + integer(r.limit);
    sql += " OFFSET " + integer(r.after_position.value_or(0));
  } else {
    // Docs are numbered as they are written, so their order is the order of arrival and
    // the FTS5 rowid walks it backwards without sorting.
    // With a MATCH, ordering by the FTS5 rowid lets FTS5 walk its own order (a common
    // word: the newest page without visiting the older hits); d.doc is the same number.
    const std::string key = fts ? "f.rowid" : "d.doc";
    if (r.after_position) sql += " AND " + key + " < " + integer(*r.after_position);
    sql += " ORDER BY " + key + " DESC LIMIT " + integer(r.limit);
  }
  // The statement's shape follows the filters given: not worth a cache slot each.
  auto st = db_.prepare_uncached(sql);
  if (!st) return db_.failure("search");
  st.bind(r.user_id).bind(r.login).bind(r.email);
  for (const auto& p : order) {
    if (p.text)
      st.bind(texts[p.at]);
    else
      st.bind(ints[p.at]);
  }
  std::vector<search_hit> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_hit(st));
  if (rc != SQLITE_DONE) return db_.failure("search");
  // By relevance a hit's cursor is how many hits come up to it.
  if (r.by_relevance && fts)
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i].position = r.after_position.value_or(0) + static_cast<std::int64_t>(i) + 1;
  return out;
}

}  // namespace relay::storage::sqlite
