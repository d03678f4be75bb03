// Threads: creating one under a message (a room route), and reading and posting replies
// by thread id. A thread's routes have no room in their path, so the thread is read
// first and its room asked whether the caller may read its channel: a thread of a
// channel, DM or gated room the caller cannot see is a 404, as an unknown id is.

#include <charconv>
#include <limits>

#include "actors/chat/content_rules.hpp"
#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "core/clock.hpp"
#include "protocol/thread_codec.hpp"

namespace relay::api {

namespace {

constexpr int default_reply_page = 50;
constexpr int max_reply_page = 100;

// Runs `next(thread, room)` when the caller may read thread `:id`; otherwise answers 404.
template <class F>
void with_readable_thread(self_ptr self, exchange_ptr x, const caller& c, F next) {
  store_call(
      self, in_time(x), x->ctx.readers,
      [id = c.args["id"]](storage::store& db) { return db.find_thread(id); },
      [self, x, who = c.who, next](storage::thread_row& t) mutable {
        with_room(self, x, t.room_slug, [self, x, who, t, next](room_actor room) mutable {
          self->request(room, in_time(x), thread_atom::value, who, t.channel_id)
              .then(
                  [self, x, t, room, next](bool may) mutable {
                    if (!may) return fail(self, x, errc::not_found, "no such thread");
                    next(std::move(t), std::move(room));
                  },
                  on_fail(self, x));
        });
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

}  // namespace

void create_thread(self_ptr self, exchange_ptr x, const caller& c) {
  thread_request req{c.who, c.args["id"], {}};
  self->request(c.room, in_time(x), thread_atom::value, std::move(req))
      .then(
          [self, x](thread_outcome& out) {
            if (out.error) return fail(self, x, out.error);
            ok(self, x, codec::encode_thread_created(out.thread), out.created ? 201 : 200);
          },
          on_fail(self, x));
}

void list_replies(self_ptr self, exchange_ptr x, const caller& c) {
  bool bad = false;
  auto after = whole_param(x, "afterSeq", 0, std::numeric_limits<std::int64_t>::max(), bad);
  auto limit = whole_param(x, "limit", 1, max_reply_page, bad);
  if (bad)
    return fail(self, x, errc::bad_request,
                "invalid query: afterSeq must be 0 or more, limit 1 to 100");
  auto page = static_cast<int>(limit.value_or(default_reply_page));
  with_readable_thread(
      self, x, c, [self, x, after = after.value_or(0), page](storage::thread_row t, room_actor) {
        struct loaded {
          storage::thread_row thread;
          std::optional<storage::message_row> root;
          std::vector<storage::message_row> replies;
        };
        store_call(
            self, in_time(x), x->ctx.readers,
            [t, after, page](storage::store& db) -> storage::expected<loaded> {
              loaded out{t, std::nullopt, {}};
              // One more than the page tells whether another page exists.
              auto rs = db.list_replies(t.id, after, page + 1);
              if (!rs) return rs.error();
              out.replies = std::move(*rs);
              auto root = db.find_message(t.root_id);
              if (root)
                out.root = std::move(*root);
              else if (!root.not_found())
                return root.error();
              // The counts as of this read, not as of the lookup before it.
              if (auto now = db.find_thread(t.id)) out.thread = std::move(*now);
              return out;
            },
            [self, x, page](loaded& l) {
              bool more = l.replies.size() > static_cast<std::size_t>(page);
              if (more) l.replies.resize(static_cast<std::size_t>(page));
              ok(self, x, codec::encode_reply_page(l.thread, l.root, l.replies, more));
            },
            [self, x](const error_info& e) { fail(self, x, e); });
      });
}

void post_reply(self_ptr self, exchange_ptr x, const caller& c) {
  auto body = codec::decode_reply_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto& b = std::get<codec::reply_body>(body);
  auto checked = check_content(b.content, x->ctx.max_content_chars);
  if (checked.error) return fail(self, x, checked.error);
  // Replies count against the same per-user send limit as messages.
  if (x->ctx.user_sends)
    if (auto wait = x->ctx.user_sends->take(c.who.user.id, now_ms()))
      return fail(self, x, make_error(errc::rate_limited, "sending too fast; slow down"),
                  {{"Retry-After", std::to_string((wait + 999) / 1000)}});
  reply_request req{c.who, {}, std::move(checked.text), std::move(b.client_msg_id)};
  with_readable_thread(
      self, x, c, [self, x, req = std::move(req)](storage::thread_row t, room_actor room) mutable {
        req.thread = std::move(t);
        self->request(room, in_time(x), thread_atom::value, std::move(req))
            .then(
                [self, x](thread_outcome& out) {
                  if (out.error) return fail(self, x, out.error);
                  ok(self, x, codec::encode_message(out.reply), out.duplicate ? 200 : 201);
                },
                on_fail(self, x));
      });
}

}  // namespace relay::api
