// A room's outbound webhooks: create (the secret shown once), list, change, delete,
// rotate the secret, read the delivery log and redeliver. Owner only: the route lets
// members in and these handlers refuse everyone but the owner (403). A hook of another
// room is unknown (404).

#include <charconv>

#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "auth/webhook_signing.hpp"
#include "auth/webhook_target.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "protocol/webhook_codec.hpp"

namespace relay::api {

namespace {

using allow_ptr = std::shared_ptr<const auth::webhook_allowlist>;

constexpr std::size_t max_hooks_per_room = 20;
constexpr std::int64_t rotation_overlap_ms = 24 * 60 * 60 * 1000;
constexpr int default_delivery_page = 50;
constexpr int max_delivery_page = 200;

// Resolving a host blocks: it runs on a thread of its own, never on the scheduler's.
caf::behavior url_checker(caf::event_based_actor* self, std::string url, allow_ptr allow) {
  return {
      [self, url, allow](ping_atom) {
        self->quit();
        return auth::check_webhook_url(url, allow ? *allow : auth::webhook_allowlist{});
      },
  };
}

// Runs `next()` when `url` may be a hook's target; otherwise answers 400 naming it.
template <class F>
void with_allowed_url(self_ptr self, exchange_ptr x, const std::string& url, F next) {
  auto checker = self->spawn<caf::detached>(url_checker, url, x->ctx.webhook_allow);
  self->request(checker, in_time(x), ping_atom::value)
      .then(
          [self, x, next](std::string& why) mutable {
            if (!why.empty()) return fail(self, x, errc::bad_request, why);
            next();
          },
          on_fail(self, x));
}

bool refuse_non_owner(self_ptr self, const exchange_ptr& x, const caller& c) {
  if (c.info.is_owner) return false;
  fail(self, x, errc::forbidden, "only the room owner manages its webhooks");
  return true;
}

auto fail_with(self_ptr self, exchange_ptr x) {
  return [self, x](const error_info& e) { fail(self, x, e); };
}

}  // namespace

void create_webhook(self_ptr self, exchange_ptr x, const caller& c) {
  if (refuse_non_owner(self, x, c)) return;
  auto body = codec::decode_webhook_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto& b = std::get<codec::webhook_body>(body);
  storage::webhook_row row;
  row.id = make_id("whk");
  row.room_id = c.info.room.id;
  row.creator_id = c.who.user.id;
  row.url = b.url;
  row.events = std::move(b.events);
  row.description = std::move(b.description);
  row.secret = auth::new_webhook_secret();
  row.created_at = now_ms();
  with_allowed_url(self, x, row.url, [self, x, row] {
    store_call(
        self, in_time(x), x->ctx.writer,
        [row](storage::store& db) -> storage::expected<storage::webhook_row> {
          auto existing = db.list_webhooks(row.room_id);
          if (!existing) return existing.error();
          if (existing->size() >= max_hooks_per_room)
            return make_error(errc::conflict, "a room has at most 20 webhooks");
          return db.create_webhook(row);
        },
        [self, x](storage::webhook_row& w) {
          ok(self, x, codec::encode_webhook_with_secret(w), 201);
        },
        fail_with(self, x));
  });
}

void list_webhooks(self_ptr self, exchange_ptr x, const caller& c) {
  if (refuse_non_owner(self, x, c)) return;
  store_call(
      self, in_time(x), x->ctx.readers,
      [room = c.info.room.id](storage::store& db) { return db.list_webhooks(room); },
      [self, x](std::vector<storage::webhook_row>& ws) { ok(self, x, codec::encode_webhooks(ws)); },
      fail_with(self, x));
}

void update_webhook(self_ptr self, exchange_ptr x, const caller& c) {
  if (refuse_non_owner(self, x, c)) return;
  auto body = codec::decode_webhook_change(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto change = std::get<storage::webhook_change>(body);
  auto apply = [self, x, change, room = c.info.room.id, id = c.args["id"]] {
    store_call(
        self, in_time(x), x->ctx.writer,
        [change, room, id](storage::store& db) { return db.update_webhook(room, id, change); },
        [self, x](storage::webhook_row& w) { ok(self, x, codec::encode_webhook(w)); },
        fail_with(self, x));
  };
  if (change.url) return with_allowed_url(self, x, *change.url, apply);
  apply();
}

void delete_webhook(self_ptr self, exchange_ptr x, const caller& c) {
  if (refuse_non_owner(self, x, c)) return;
  store_call(
      self, in_time(x), x->ctx.writer,
      [room = c.info.room.id, id = c.args["id"]](storage::store& db) {
        return db.delete_webhook(room, id);
      },
      [self, x] { ok(self, x, R"({"ok":true})"); }, fail_with(self, x));
}

void rotate_webhook_secret(self_ptr self, exchange_ptr x, const caller& c) {
  if (refuse_non_owner(self, x, c)) return;
  store_call(
      self, in_time(x), x->ctx.writer,
      [room = c.info.room.id, id = c.args["id"], secret = auth::new_webhook_secret(),
       until = now_ms() + rotation_overlap_ms](storage::store& db) {
        return db.rotate_webhook_secret(room, id, secret, until);
      },
      [self, x](storage::webhook_row& w) { ok(self, x, codec::encode_webhook_with_secret(w)); },
      fail_with(self, x));
}

void list_webhook_deliveries(self_ptr self, exchange_ptr x, const caller& c) {
  if (refuse_non_owner(self, x, c)) return;
  int limit = default_delivery_page;
  if (auto* v = x->req.param("limit")) {
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc{} || p != v->data() + v->size() || limit < 1 || limit > max_delivery_page)
      return fail(self, x, errc::bad_request, "limit must be 1 to 200");
  }
  store_call(
      self, in_time(x), x->ctx.readers,
      [room = c.info.room.id, id = c.args["id"],
       limit](storage::store& db) -> storage::expected<std::vector<storage::webhook_delivery_row>> {
        auto hook = db.find_webhook(room, id);
        if (!hook) return hook.error();
        return db.list_webhook_deliveries(id, limit);
      },
      [self, x](std::vector<storage::webhook_delivery_row>& ds) {
        ok(self, x, codec::encode_webhook_deliveries(ds));
      },
      fail_with(self, x));
}

void redeliver_webhook(self_ptr self, exchange_ptr x, const caller& c) {
  if (refuse_non_owner(self, x, c)) return;
  store_call(
      self, in_time(x), x->ctx.writer,
      [room = c.info.room.id, id = c.args["id"], delivery = c.args["deliveryId"]](
          storage::store& db) -> storage::expected<storage::webhook_delivery_row> {
        auto hook = db.find_webhook(room, id);
        if (!hook) return hook.error();
        return db.redeliver_webhook(id, delivery, now_ms());
      },
      [self, x](storage::webhook_delivery_row& d) {
        ok(self, x, codec::encode_webhook_delivery(d), 202);
      },
      fail_with(self, x));
}

}  // namespace relay::api
