// Search: the messages and thread replies the caller may see right now that match a
// query (docs/api.md "Search"). The query language is parsed here into FTS5 and tsquery
// expressions the user's text cannot steer (protocol/search_query.cpp); the store
// decides access in the same SELECT that finds the hits (storage/sqlite/search.cpp,
// storage/postgres/search.cpp), so a removal from a channel or a room counts from the
// next search on. Snippets are built from the content, escaped, never from the index.

#include <charconv>
#include <limits>

#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "protocol/search_codec.hpp"
#include "protocol/search_query.hpp"

namespace relay::api {

namespace {

constexpr int default_search_page = 20;
constexpr int max_search_page = 100;

struct found {
  std::vector<storage::search_hit> hits;
  std::vector<storage::attachment_row> attachments;
};

}  // namespace

void search_messages(self_ptr self, exchange_ptr x, const caller& c) {
  if (!x->ctx.search_indexed)
    return fail(self, x, errc::unavailable,
                "search is off on this server (--search-index off): messages are not indexed");
  auto* text = x->req.param("q");
  if (!text) return fail(self, x, errc::bad_request, "q is required: what to search for");
  auto parsed = codec::parse_search_query(*text);
  if (auto* e = std::get_if<error_info>(&parsed)) return fail(self, x, *e);
  auto q = std::get<codec::search_query>(std::move(parsed));

  storage::search_request r;
  if (auto* s = x->req.param("sort")) {
    if (*s != "newest" && *s != "relevance")
      return fail(self, x, errc::bad_request, "sort must be newest or relevance");
    r.by_relevance = *s == "relevance";
  }
  bool bad = false;
  auto limit = whole_param(x, "limit", 1, max_search_page, bad);
  if (bad) return fail(self, x, errc::bad_request, "limit must be a whole number from 1 to 100");
  r.after_position = whole_param(x, "cursor", 0, std::numeric_limits<std::int64_t>::max(), bad);
  if (bad)
    return fail(self, x, errc::bad_request, "cursor must be the cursor of a previous page's next");
  const int page = static_cast<int>(limit.value_or(default_search_page));
  r.user_id = c.who.user.id;
  r.login = c.who.user.login;
  r.email = c.who.user.email;
  r.match = codec::fts5_match(q);
  r.ts_match = codec::tsquery_match(q);
  // Filters alone have nothing to rank: they page newest first, by the keyset cursor.
  if (r.match.empty()) {
    r.excluded = codec::fts5_excluded(q);
    r.ts_excluded = codec::tsquery_excluded(q);
    r.by_relevance = false;
  }
  r.room_slug = q.room;
  r.channel_slug = q.channel;
  r.from_login = q.from;
  r.before_ms = q.before_ms;
  r.after_ms = q.after_ms;
  r.has_link = q.has_link;
  r.has_attachment = q.has_attachment;
  r.is_thread = q.is_thread;
  // One more than the page tells whether another page exists.
  r.limit = page + 1;
  store_call(
      self, in_time(x), x->ctx.readers,
      [r](storage::store& db) -> storage::expected<found> {
        auto hits = db.search_messages(r);
        if (!hits) return hits.error();
        found out{std::move(*hits), {}};
        std::vector<std::string> ids;
        std::vector<storage::search_hit> kept;
        for (auto& h : out.hits) {
          if (!h.reply && !h.archived) {
            // The message as history reads it: with its reactions and thread counts.
            auto full = db.find_message(h.message.id);
            if (full.not_found()) continue;  // deleted since the search read it
            if (!full) return full.error();
            h.message = std::move(*full);
          }
          ids.push_back(h.message.id);
          kept.push_back(std::move(h));
        }
        out.hits = std::move(kept);
        auto files = db.list_attachments("message", ids);
        if (!files) return files.error();
        out.attachments = std::move(*files);
        return out;
      },
      [self, x, q, page](found& f) {
        const bool more = f.hits.size() > static_cast<std::size_t>(page);
        if (more) f.hits.resize(static_cast<std::size_t>(page));
        std::vector<std::string> snippets;
        for (const auto& h : f.hits)
          snippets.push_back(codec::search_snippet(h.message.content, q));
        std::optional<std::string> next;
        // A hit's position is the cursor after it, newest first or by relevance alike
        // (storage/search_store.hpp).
        if (more) next = std::to_string(f.hits.back().position);
        ok(self, x, codec::encode_search_page(f.hits, snippets, f.attachments, next));
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

}  // namespace relay::api
