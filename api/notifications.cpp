// The caller's notifications: the list with its tabs, marking them read or archived,
// saving them, and (room owners) their visibility. Only the recipient ever finds one:
// another user's id is a 404 like an unknown one.

#include <charconv>

#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "protocol/notification_codec.hpp"

namespace relay::api {

namespace {

void change_notification(self_ptr self, exchange_ptr x, const caller& c,
                         storage::notification_change change) {
  store_call(
      self, in_time(x), x->ctx.writer,
      [user = c.who.user.id, id = std::string{c.args["id"]}, change](storage::store& db) {
        return db.update_notification(user, id, change);
      },
      [self, x](storage::notification_row& n) { ok(self, x, codec::encode_notification(n)); },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void save(self_ptr self, exchange_ptr x, const caller& c, bool saved) {
  storage::notification_change change;
  change.saved = saved;
  change_notification(self, x, c, std::move(change));
}

}  // namespace

void list_notifications(self_ptr self, exchange_ptr x, const caller& c) {
  storage::notification_query q;
  q.user_id = c.who.user.id;
  if (auto* s = x->req.param("state")) {
    if (!codec::valid_notification_state(*s))
      return fail(self, x, errc::bad_request, "state must be unread, read or archived");
    q.states = {*s};
  }
  if (auto* s = x->req.param("saved")) {
    if (*s != "true" && *s != "false")
      return fail(self, x, errc::bad_request, "saved must be true or false");
    q.saved_only = *s == "true";
  }
  // The default tab is the inbox (unread and read); the saved tab shows every state.
  if (q.states.empty() && !q.saved_only) q.states = {"unread", "read"};
  int limit = 50;
  if (auto* l = x->req.param("limit")) {
    auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc{} || p != l->data() + l->size() || limit < 1)
      return fail(self, x, errc::bad_request, "limit must be a whole number from 1");
    limit = std::min(limit, 100);
  }
  if (auto* n = x->req.param("next");
      n && !codec::decode_notification_cursor(*n, q.before_at, q.before_id))
    return fail(self, x, errc::bad_request, "next must be a cursor from a previous page");
  // One extra row tells whether another page exists.
  q.limit = limit + 1;
  store_call(
      self, in_time(x), x->ctx.readers,
      [q](storage::store& db) { return db.page_notifications(q); },
      [self, x, limit](std::vector<storage::notification_row>& ns) {
        bool more = ns.size() > static_cast<std::size_t>(limit);
        if (more) ns.resize(static_cast<std::size_t>(limit));
        ok(self, x, codec::encode_notification_page(ns, more));
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void update_notification(self_ptr self, exchange_ptr x, const caller& c) {
  auto body = codec::decode_notification_patch(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  change_notification(self, x, c, std::get<storage::notification_change>(body));
}

void save_notification(self_ptr self, exchange_ptr x, const caller& c) {
  save(self, x, c, true);
}

void unsave_notification(self_ptr self, exchange_ptr x, const caller& c) {
  save(self, x, c, false);
}

}  // namespace relay::api
