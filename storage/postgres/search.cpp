// Search on Postgres. The index (search_docs and its GIN over `words`, schema version
// 12) is written by triggers, so it is exact in every transaction that writes a message
// or a reply, on whichever node; this file only reads it.
//
// Access is decided here, at query time, by the rules of storage/sqlite/search.cpp,
// against the same tables in Postgres: a room is entered when it is open, owned by the
// caller or lists the caller's login or email on its whitelist (lower() on "C" folds A-Z
// only, as SQLite's NOCASE); in it, the room-wide thread and public channels are seen
// by all, other channels by members. One SELECT finds the hits and checks the access, so
// a hit never outlives the access that let it through.
//
// The query's text arrives as tsquery text made by protocol/search_query.cpp (quoted
// lexemes of letters and digits only) and is bound as a parameter, never spliced in.

#include "storage/postgres/search.hpp"

#include "storage/postgres/message_columns.hpp"

namespace relay::storage::postgres {

namespace {

// The rooms the caller may enter ($1 user id, $2 login, $3 email).
const std::string rooms_entered =
    "entered AS (SELECT r.id, r.slug FROM rooms r WHERE NOT r.whitelist_only"
    " OR r.owner_id = $1 OR EXISTS (SELECT 1 FROM whitelist w WHERE w.room_id = r.id AND"
    " ((w.login IS NOT NULL AND lower(w.login) = lower($2::text COLLATE \"C\")) OR"
    " (w.email IS NOT NULL AND $3::text <> '' AND"
    " lower(w.email) = lower($3::text COLLATE \"C\")))))";

// The columns of message_columns.hpp, for a message or a reply, then the hit's place.
const std::string hit_columns =
    "d.ref_id, d.room_id, d.channel_id, COALESCE(m.seq, p.seq), d.author_id,"
    " COALESCE(u.login, ''), COALESCE(u.name, ''), COALESCE(u.avatar_url, ''),"
    " COALESCE(m.content, p.content), COALESCE(m.client_msg_id, p.client_msg_id, ''),"
    " d.created_at, m.edited_at, COALESCE(m.thread_id, p.thread_id, ''), COALESCE(m.bot, ''),"
    " d.is_reply, e.slug, COALESCE(c.slug, ''), COALESCE(c.name, ''), d.doc";

search_hit read_hit(const pqxx::row& r) {
  search_hit h;
  h.message = read_message(r);
  h.reply = r[14].as<bool>();
  h.room_slug = r[15].as<std::string>();
  h.channel_slug = r[16].as<std::string>();
  h.channel_name = r[17].as<std::string>();
  h.position = r[18].as<std::int64_t>();
  return h;
}

}  // namespace

expected<std::vector<search_hit>> search::search_messages(const search_request& r) {
  const bool fts = !r.ts_match.empty();
  std::vector<std::string> params{r.user_id, r.login, r.email};
  auto param = [&params](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  // The tsquery comes first: ts_rank and the WHERE share it.
  std::string query;
  if (fts) query = "to_tsquery('simple', relay_search_fold(" + param(r.ts_match) + "))";
  std::string sql = "WITH " + rooms_entered + " SELECT " + hit_columns +
                    " FROM search_docs d"
                    " JOIN entered e ON e.id = d.room_id"
                    " LEFT JOIN channels c ON c.id = d.channel_id"
                    " LEFT JOIN messages m ON NOT d.is_reply AND m.id = d.ref_id"
                    " LEFT JOIN thread_replies p ON d.is_reply AND p.id = d.ref_id"
                    " LEFT JOIN users u ON u.id = d.author_id"
                    " WHERE (d.channel_id = '' OR c.visibility = 'public' OR EXISTS (SELECT 1"
                    " FROM channel_members cm WHERE cm.channel_id = d.channel_id AND"
                    " cm.user_id = $1))"
                    // A channel row that is gone takes its visibility with it.
                    " AND (d.channel_id = '' OR c.id IS NOT NULL)";
  if (fts) sql += " AND d.words @@ " + query;
  if (!fts && !r.ts_excluded.empty())
    sql +=
        " AND NOT d.words @@ to_tsquery('simple', relay_search_fold(" + param(r.ts_excluded) + "))";
  if (!r.room_slug.empty()) sql += " AND e.slug = " + param(r.room_slug);
  if (r.channel_slug) sql += " AND c.slug = " + param(*r.channel_slug);
  // from_login is lowercase already (protocol/search_query.cpp).
  if (!r.from_login.empty()) sql += " AND lower(u.login) = " + param(r.from_login);
  if (r.before_ms) sql += " AND d.created_at < " + param(std::to_string(*r.before_ms)) + "::bigint";
  if (r.after_ms) sql += " AND d.created_at >= " + param(std::to_string(*r.after_ms)) + "::bigint";
  if (r.has_link) sql += " AND d.has_link";
  if (r.has_attachment)
    sql +=
        " AND EXISTS (SELECT 1 FROM attachments a WHERE a.entity_type = 'message' AND"
        " a.entity_id = d.ref_id)";
  if (r.is_thread) sql += " AND d.is_reply";
  const auto limit = std::to_string(r.limit);
  if (r.by_relevance && fts) {
    sql += " ORDER BY ts_rank(d.words, " + query + ") DESC, d.doc DESC LIMIT " + limit;
    sql += " OFFSET " + param(std::to_string(r.after_position.value_or(0))) + "::bigint";
  } else {
    // Docs are numbered as they are written: newest first is doc descending, and a page's
    // last doc is the keyset cursor of the next.
    if (r.after_position)
      sql += " AND d.doc < " + param(std::to_string(*r.after_position)) + "::bigint";
    sql += " ORDER BY d.doc DESC LIMIT " + limit;
  }
  return c_.run("search", [&](pqxx::transaction_base& t) -> expected<std::vector<search_hit>> {
    std::vector<search_hit> out;
    for (const auto& row : t.exec_params(sql, pqxx::prepare::make_dynamic_params(params)))
      out.push_back(read_hit(row));
    // By relevance a hit's cursor is how many hits come up to it.
    if (r.by_relevance && fts)
      for (std::size_t i = 0; i < out.size(); ++i)
        out[i].position = r.after_position.value_or(0) + static_cast<std::int64_t>(i) + 1;
    return out;
  });
}

}  // namespace relay::storage::postgres
