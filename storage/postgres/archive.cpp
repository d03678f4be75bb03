#include "storage/postgres/archive.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>

#include "storage/postgres/connection.hpp"
#include "storage/postgres/schema.hpp"

namespace relay::storage::postgres {

namespace {

const char* const columns =
    "SELECT id, room_id, channel_id, seq, author_id, content, COALESCE(client_msg_id, ''),"
    " created_at, edited_at, COALESCE(thread_id, ''), COALESCE(bot, '') FROM message_archive ";

// The same columns and the doc number, for search.
const char* const columns_with_doc =
    "SELECT id, room_id, channel_id, seq, author_id, content, COALESCE(client_msg_id, ''),"
    " created_at, edited_at, COALESCE(thread_id, ''), COALESCE(bot, ''), doc"
    " FROM message_archive ";

message_row read_row(const pqxx::row& r) {
  message_row m;
  m.id = r[0].as<std::string>();
  m.room_id = r[1].as<std::string>();
  m.channel_id = r[2].as<std::string>();
  m.seq = r[3].as<std::int64_t>();
  m.author.id = r[4].as<std::string>();
  m.content = pqxx::binarystring(r[5]).str();
  m.client_msg_id = r[6].as<std::string>();
  m.created_at = r[7].as<std::int64_t>();
  if (!r[8].is_null()) m.edited_at = r[8].as<std::int64_t>();
  m.thread_id = r[9].as<std::string>();
  m.bot = r[10].as<std::string>();
  return m;
}

std::vector<message_row> read_rows(const pqxx::result& res) {
  std::vector<message_row> out;
  out.reserve(res.size());
  for (const auto& r : res) out.push_back(read_row(r));
  return out;
}

}  // namespace

struct archive::conn {
  explicit conn(const std::string& url) : c{with_connect_timeout(url)} {
    // A query that hangs (a lock held elsewhere, a dying disk) fails instead of holding
    // the reader or archiver that made it.
    pqxx::nontransaction{c}.exec("SET statement_timeout = 10000");
    c.prepare("store",
              "INSERT INTO message_archive (id, room_id, channel_id, seq, author_id, content,"
              " client_msg_id, created_at, edited_at, thread_id, bot, settled) VALUES ($1, $2,"
              " $3, $4, $5, $6, NULLIF($7, ''), $8, NULLIF($9, '')::bigint, NULLIF($10, ''),"
              " NULLIF($11, ''), false) ON CONFLICT (id) DO UPDATE SET content ="
              " excluded.content, edited_at = excluded.edited_at, settled = false");
    c.prepare("settle", "UPDATE message_archive SET settled = true WHERE id = ANY($1::text[])");
    c.prepare("drop", "DELETE FROM message_archive WHERE id = ANY($1::text[])");
    c.prepare("find", std::string{columns} + "WHERE id = $1");
    c.prepare("edit", "UPDATE message_archive SET content = $2, edited_at = $3 WHERE id = $1");
    c.prepare("after_seq", std::string{columns} +
                               "WHERE room_id = $1 AND channel_id = $2 AND seq > $3 ORDER BY"
                               " seq LIMIT $4");
    c.prepare("tail", std::string{columns} +
                          "WHERE room_id = $1 AND channel_id = $2 ORDER BY seq DESC LIMIT $3");
  }
  pqxx::connection c;
};

archive::archive(std::string url) : url_{std::move(url)} {}
archive::~archive() = default;

// Runs `f(connection)`, connecting first when needed. A broken connection is dropped so
// the next call connects again.
template <class T, class F>
expected<T> archive::run(const char* what, F&& f) {
  const auto now = std::chrono::steady_clock::now();
  try {
    if (!c_ || !c_->c.is_open()) {
      c_.reset();
      // While Postgres is down, callers fail at once instead of each waiting for a
      // connect of their own.
      if (now < retry_at_)
        return make_error(errc::unavailable,
                          std::string{"archive unavailable ("} + what + "): " + last_failure_);
      c_ = std::make_unique<conn>(url_);
    }
    return f(c_->c);
  } catch (const pqxx::broken_connection& e) {
    c_.reset();
    retry_at_ = now + std::chrono::seconds(1);
    last_failure_ = e.what();
    return make_error(errc::unavailable,
                      std::string{"archive unavailable ("} + what + "): " + e.what());
  } catch (const std::exception& e) {
    if (c_ && !c_->c.is_open()) c_.reset();
    return make_error(errc::unavailable, std::string{"archive "} + what + ": " + e.what());
  }
}

expected<void> archive::open() {
  auto r = run<bool>("open", [](pqxx::connection& c) {
    migrate(c);
    return true;
  });
  if (!r) return r.error();
  return {};
}

bool archive::healthy() {
  auto r = run<bool>("health", [](pqxx::connection& c) {
    return pqxx::nontransaction{c}.exec("SELECT 1")[0][0].as<int>() == 1;
  });
  return r && *r;
}

expected<void> archive::store_unsettled(const std::vector<message_row>& rows) {
  auto r = run<bool>("store", [&](pqxx::connection& c) {
    pqxx::work w{c};
    for (const auto& m : rows)
      w.exec_prepared("store", m.id, m.room_id, m.channel_id, m.seq, m.author.id,
                      pqxx::binarystring{m.content}, m.client_msg_id, m.created_at,
                      m.edited_at ? std::to_string(*m.edited_at) : std::string{}, m.thread_id,
                      m.bot);
    w.commit();
    return true;
  });
  if (!r) return r.error();
  return {};
}

expected<void> archive::settle(const forgotten& done) {
  auto r = run<bool>("settle", [&](pqxx::connection& c) {
    pqxx::work w{c};
    if (!done.moved.empty()) w.exec_prepared("settle", text_array(done.moved));
    if (!done.gone.empty()) w.exec_prepared("drop", text_array(done.gone));
    w.commit();
    return true;
  });
  if (!r) return r.error();
  return {};
}

expected<std::vector<std::string>> archive::unsettled(int limit) {
  return run<std::vector<std::string>>("unsettled", [&](pqxx::connection& c) {
    pqxx::nontransaction n{c};
    std::vector<std::string> out;
    for (const auto& r :
         n.exec_params("SELECT id FROM message_archive WHERE NOT settled LIMIT $1", limit))
      out.push_back(r[0].as<std::string>());
    return out;
  });
}

expected<void> archive::drop(const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  auto r = run<bool>("drop", [&](pqxx::connection& c) {
    pqxx::work w{c};
    w.exec_prepared("drop", text_array(ids));
    w.commit();
    return true;
  });
  if (!r) return r.error();
  return {};
}

expected<std::int64_t> archive::drop_channel(const std::string& room_id,
                                             const std::string& channel_id) {
  return run<std::int64_t>("drop channel", [&](pqxx::connection& c) {
    pqxx::work w{c};
    auto r = w.exec_params("DELETE FROM message_archive WHERE room_id = $1 AND channel_id = $2",
                           room_id, channel_id);
    w.commit();
    return static_cast<std::int64_t>(r.affected_rows());
  });
}

expected<void> archive::analyze() {
  auto r = run<bool>("analyze", [](pqxx::connection& c) {
    pqxx::nontransaction{c}.exec("ANALYZE message_archive");
    return true;
  });
  if (!r) return r.error();
  return {};
}

expected<message_row> archive::find_message(const std::string& id) {
  auto r = run<std::vector<message_row>>("find message", [&](pqxx::connection& c) {
    pqxx::nontransaction n{c};
    return read_rows(n.exec_prepared("find", id));
  });
  if (!r) return r.error();
  if (r->empty()) return make_error(errc::not_found, "no such message");
  return std::move(r->front());
}

expected<message_row> archive::edit_message(const std::string& id, const std::string& content,
                                            std::int64_t edited_at) {
  auto r = run<std::vector<message_row>>("edit message", [&](pqxx::connection& c) {
    pqxx::work w{c};
    w.exec_prepared("edit", id, pqxx::binarystring{content}, edited_at);
    auto rows = read_rows(w.exec_prepared("find", id));
    w.commit();
    return rows;
  });
  if (!r) return r.error();
  if (r->empty()) return make_error(errc::not_found, "no such message");
  return std::move(r->front());
}

expected<message_row> archive::delete_message(const std::string& id) {
  auto r = run<std::vector<message_row>>("delete message", [&](pqxx::connection& c) {
    pqxx::work w{c};
    auto rows = read_rows(w.exec_prepared("find", id));
    if (!rows.empty()) w.exec_prepared("drop", text_array({id}));
    w.commit();
    return rows;
  });
  if (!r) return r.error();
  if (r->empty()) return make_error(errc::not_found, "no such message");
  return std::move(r->front());
}

expected<std::vector<message_row>> archive::list_messages(const message_query& q) {
  const int limit = std::clamp(q.limit, 1, max_query_rows);
  if (q.channel_ids && q.channel_id &&
      std::find(q.channel_ids->begin(), q.channel_ids->end(), *q.channel_id) ==
          q.channel_ids->end())
    return std::vector<message_row>{};
  if (q.after_seq) {
    if (!q.channel_id) return make_error(errc::bad_request, "after_seq requires channel_id");
    return run<std::vector<message_row>>("list messages after seq", [&](pqxx::connection& c) {
      pqxx::nontransaction n{c};
      return read_rows(n.exec_prepared("after_seq", q.room_id, *q.channel_id, *q.after_seq, limit));
    });
  }
  if (q.channel_ids && q.channel_ids->empty()) return std::vector<message_row>{};
  // The conditions a query has, and no others, as SQLite builds them: an OR of shapes
  // in one statement kept Postgres off the (room, channel, time, id) index, and a page
  // crossing into the archive took 26 ms at p50 instead of a few.
  std::vector<std::string> params{q.room_id};
  auto next = [&params](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  std::string sql = std::string{columns} + "WHERE room_id = $1";
  if (q.channel_id) sql += " AND channel_id = " + next(*q.channel_id);
  if (q.channel_ids)
    sql += " AND channel_id = ANY(" + next(text_array(*q.channel_ids)) + "::text[])";
  // before_id only breaks ties within before_created_at, as in SQLite.
  if (q.before_created_at) {
    const auto at = next(std::to_string(*q.before_created_at));
    sql += q.before_id ? " AND (created_at, id) < (" + at + "::bigint, " + next(*q.before_id) + ")"
                       : " AND created_at < " + at + "::bigint";
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(limit);
  return run<std::vector<message_row>>("list messages", [&](pqxx::connection& c) {
    pqxx::nontransaction n{c};
    return read_rows(n.exec_params(sql, pqxx::prepare::make_dynamic_params(params)));
  });
}

expected<std::vector<message_row>> archive::tail(const std::string& room_id,
                                                 const std::string& channel_id, int n) {
  if (n <= 0) return std::vector<message_row>{};
  auto r = run<std::vector<message_row>>("tail", [&](pqxx::connection& c) {
    pqxx::nontransaction t{c};
    return read_rows(t.exec_prepared("tail", room_id, channel_id, n));
  });
  if (r) std::reverse(r->begin(), r->end());
  return r;
}

expected<std::int64_t> archive::count() {
  return run<std::int64_t>("count", [](pqxx::connection& c) {
    return pqxx::nontransaction{c}
        .exec("SELECT count(*) FROM message_archive")[0][0]
        .as<std::int64_t>();
  });
}

expected<std::vector<search_hit>> archive::search(const search_request& r,
                                                  const std::vector<std::string>& room_ids,
                                                  const std::vector<std::string>& channel_ids,
                                                  const std::string& author_id) {
  if (room_ids.empty() || room_ids.size() != channel_ids.size()) return std::vector<search_hit>{};
  // Every value a parameter; the tsquery text is protocol/search_query.cpp's (quoted
  // lexemes of letters and digits), its accents folded here as the index's are.
  std::vector<std::string> params{text_array(room_ids), text_array(channel_ids)};
  auto next = [&params](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  const bool fts = !r.ts_match.empty();
  std::string query;
  if (fts) query = "to_tsquery('simple', relay_search_fold(" + next(r.ts_match) + "))";
  std::string sql = std::string{columns_with_doc} +
                    "WHERE (room_id, channel_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
                    // A row not yet settled may still be in SQLite, which answers for it.
                    " AND settled";
  if (fts) sql += " AND words @@ " + query;
  if (!fts && !r.ts_excluded.empty())
    sql += " AND NOT words @@ to_tsquery('simple', relay_search_fold(" + next(r.ts_excluded) + "))";
  if (!author_id.empty()) sql += " AND author_id = " + next(author_id);
  if (r.before_ms) sql += " AND created_at < " + next(std::to_string(*r.before_ms)) + "::bigint";
  if (r.after_ms) sql += " AND created_at >= " + next(std::to_string(*r.after_ms)) + "::bigint";
  if (r.has_link) sql += " AND relay_search_has_link(content)";
  const auto limit = std::to_string(std::clamp(r.limit, 1, max_query_rows));
  if (r.by_relevance && fts) {
    sql += " ORDER BY ts_rank(words, " + query + ") DESC, doc DESC LIMIT " + limit;
    sql += " OFFSET " + next(std::to_string(r.after_position.value_or(0))) + "::bigint";
  } else {
    if (r.after_position)
      sql += " AND doc < " + next(std::to_string(*r.after_position)) + "::bigint";
    sql += " ORDER BY doc DESC LIMIT " + limit;
  }
  return run<std::vector<search_hit>>("search", [&](pqxx::connection& c) {
    pqxx::nontransaction n{c};
    std::vector<search_hit> out;
    for (const auto& row : n.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
      search_hit h;
      h.message = read_row(row);
      h.archived = true;
      h.position = row[11].as<std::int64_t>();
      out.push_back(std::move(h));
    }
    return out;
  });
}

}  // namespace relay::storage::postgres
