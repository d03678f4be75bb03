// /api/rooms/:slug/messages: history (only channels the caller can see), posting
// (same fan-out and ack semantics as the socket, same per-user send limit), edits
// deletes and reactions.

#include <charconv>
#include <limits>

#include "actors/chat/content_rules.hpp"
#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "core/clock.hpp"
#include "core/text.hpp"
#include "protocol/attachment_codec.hpp"

namespace relay::api {

namespace {

std::optional<std::int64_t> int_param(const exchange_ptr& x, const std::string& key, bool& bad) {
  auto* v = x->req.param(key);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  // More digits than an int64 holds is still a number: a limit that large is capped
  // like any other, a seq that large is past every message.
  if (ec == std::errc::result_out_of_range && p == v->data() + v->size() && v->front() != '-')
    return std::numeric_limits<std::int64_t>::max();
  if (ec != std::errc{} || p != v->data() + v->size()) {
    bad = true;
    return std::nullopt;
  }
  return n;
}

// PUT and DELETE of a reaction: both answer 200 with the message as it is now, whether
// or not this request changed it (idempotent), and only a change is broadcast.
void react(self_ptr self, exchange_ptr x, const caller& c, bool add) {
  std::string emoji = c.args["emoji"];
  if (!valid_reaction(emoji))
    return fail(self, x, errc::bad_request,
                "emoji must be one emoji or a :short_name: of 1 to 32 of a-z 0-9 _ + -");
  react_request req{c.who, c.args["id"], std::move(emoji), add, {}};
  self->request(c.room, in_time(x), react_atom::value, std::move(req))
      .then(
          [self, x](write_outcome& out) {
            if (out.error) return fail(self, x, out.error);
            ok(self, x, codec::encode_message(out.message), 200);
          },
          on_fail(self, x));
}

void answer_outcome(self_ptr self, const exchange_ptr& x, const write_outcome& out, int status,
                    std::string body) {
  if (out.error) return fail(self, x, out.error);
  ok(self, x, std::move(body), status);
}

}  // namespace

void list_messages(self_ptr self, exchange_ptr x, const caller& call) {
  auto& info = call.info;
  storage::message_query q;
  q.room_id = info.room.id;
  bool bad = false;
  if (auto* ch = x->req.param("channelId")) q.channel_id = codec::channel_from_wire(*ch);
  if (auto* t = x->req.param("beforeCreatedAt")) {
    q.before_created_at = parse_iso8601(*t);
    if (!q.before_created_at) bad = true;
  }
  if (auto* id = x->req.param("beforeId")) q.before_id = *id;
  q.after_seq = int_param(x, "afterSeq", bad);
  auto limit = int_param(x, "limit", bad).value_or(20);
  if (bad || limit < 1)
    return fail(self, x, errc::bad_request, "invalid query: limit, afterSeq or beforeCreatedAt");
  if (q.after_seq && !q.channel_id)
    return fail(self, x, errc::bad_request, "afterSeq needs channelId");
  // `info.channels` holds only what the caller can see: hidden and unknown are both 404,
  // and "everything" means the room-wide thread plus the visible channels.
  std::vector<std::string> visible{""};
  for (auto& c : info.channels) visible.push_back(c.id);
  if (q.channel_id) {
    if (std::find(visible.begin(), visible.end(), *q.channel_id) == visible.end())
      return fail(self, x, errc::not_found, "no such channel");
  } else {
    q.channel_ids = std::move(visible);
  }
  // One extra row tells whether another page exists.
  auto page_size = static_cast<std::size_t>(std::min<std::int64_t>(limit, 100));
  q.limit = static_cast<int>(page_size) + 1;
  self->request(x->ctx.readers, in_time(x), list_atom::value, q)
      .then(
          [self, x, page_size,
           by_seq = q.after_seq.has_value()](std::vector<storage::message_row>& ms) {
            bool more = ms.size() > page_size;
            if (more) ms.resize(page_size);
            // Each message lists its attachments (docs/api.md, "Attachments"): one more
            // read for the page.
            std::vector<std::string> ids;
            for (const auto& m : ms) ids.push_back(m.id);
            auto page = codec::encode_message_page(ms, more, by_seq);
            store_call(
                self, in_time(x), x->ctx.readers,
                [ids](storage::store& db) { return db.list_attachments("message", ids); },
                [self, x, page](std::vector<storage::attachment_row>& rows) {
                  ok(self, x, codec::with_attachments(page, rows));
                },
                [self, x](const error_info& e) { fail(self, x, e); });
          },
          on_fail(self, x));
}

void post_message(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  auto& room = c.room;
  auto body = codec::decode_post_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto& b = std::get<codec::post_body>(body);
  auto checked = check_content(b.content, x->ctx.max_content_chars);
  if (checked.error) return fail(self, x, checked.error);
  if (x->ctx.user_sends)
    if (auto wait = x->ctx.user_sends->take(who.user.id, now_ms()))
      return fail(self, x, make_error(errc::rate_limited, "sending too fast; slow down"),
                  {{"Retry-After", std::to_string((wait + 999) / 1000)}});
  post_request req{
      who, std::move(b.channel_id), std::move(b.client_msg_id), std::move(checked.text), {}};
  self->request(room, in_time(x), post_atom::value, std::move(req))
      .then(
          [self, x](write_outcome& out) {
            answer_outcome(self, x, out, out.duplicate ? 200 : 201,
                           out.error ? "" : codec::encode_message(out.message));
          },
          on_fail(self, x));
}

void edit_message(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  auto& room = c.room;
  std::string id = c.args["id"];
  auto body = codec::decode_edit_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto checked = check_content(std::get<codec::edit_body>(body).content, x->ctx.max_content_chars);
  if (checked.error) return fail(self, x, checked.error);
  self->request(room, in_time(x), edit_atom::value,
                edit_request{who, std::move(id), std::move(checked.text), {}})
      .then(
          [self, x](write_outcome& out) {
            answer_outcome(self, x, out, 200, out.error ? "" : codec::encode_message(out.message));
          },
          on_fail(self, x));
}

void delete_message(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  auto& room = c.room;
  std::string id = c.args["id"];
  self->request(room, in_time(x), delete_atom::value, delete_request{who, std::move(id), {}})
      .then([self, x](write_outcome& out) { answer_outcome(self, x, out, 200, R"({"ok":true})"); },
            on_fail(self, x));
}

void add_reaction(self_ptr self, exchange_ptr x, const caller& c) {
  react(self, x, c, true);
}

void remove_reaction(self_ptr self, exchange_ptr x, const caller& c) {
  react(self, x, c, false);
}

}  // namespace relay::api
