// Outbound webhooks on Postgres. Mirrors storage/sqlite/webhooks.cpp; the claim locks the
// rows it leases and skips those another node's claim holds.

#include "storage/postgres/webhooks.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/webhook_claim.hpp"
#include "storage/webhook_text.hpp"

namespace relay::storage::postgres {

namespace {

const std::string hook_select =
    "SELECT id, room_id, creator_id, url, events, description, enabled, secret, prev_secret,"
    " prev_secret_until, failure_count, last_state, last_status_code, last_attempt_at,"
    " disabled_reason, created_at FROM webhooks ";
const std::string delivery_columns =
    "d.id, d.webhook_id, d.event, d.payload, d.msg_id, d.attempt, d.state, d.next_attempt_at,"
    " d.status_code, d.latency_ms, d.error, d.created_at, d.updated_at";

std::optional<std::int64_t> opt_int(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::int64_t>();
}

webhook_row read_hook(const pqxx::row& r) {
  webhook_row w;
  w.id = r[0].as<std::string>();
  w.room_id = r[1].as<std::string>();
  w.creator_id = r[2].as<std::string>();
  w.url = r[3].as<std::string>();
  w.events = webhook_text::split_events(r[4].as<std::string>());
  w.description = r[5].as<std::string>();
  w.enabled = r[6].as<bool>();
  w.secret = r[7].as<std::string>();
  w.previous_secret = r[8].as<std::string>();
  w.previous_secret_until = r[9].as<std::int64_t>();
  w.failure_count = r[10].as<std::int64_t>();
  w.last_state = r[11].as<std::string>();
  w.last_status_code = opt_int(r[12]);
  w.last_attempt_at = opt_int(r[13]);
  w.disabled_reason = r[14].as<std::string>();
  w.created_at = r[15].as<std::int64_t>();
  return w;
}

webhook_delivery_row read_delivery(const pqxx::row& r) {
  webhook_delivery_row d;
  d.id = r[0].as<std::string>();
  d.webhook_id = r[1].as<std::string>();
  d.event = r[2].as<std::string>();
  d.payload = r[3].as<std::string>();
  d.msg_id = r[4].as<std::string>();
  d.attempt = r[5].as<std::int64_t>();
  d.state = r[6].as<std::string>();
  d.next_attempt_at = r[7].as<std::int64_t>();
  d.status_code = opt_int(r[8]);
  d.latency_ms = opt_int(r[9]);
  d.error = r[10].as<std::string>();
  d.created_at = r[11].as<std::int64_t>();
  d.updated_at = r[12].as<std::int64_t>();
  return d;
}

}  // namespace

webhooks::webhooks(connection& c) : c_{c} {
  c_.prepare("webhooks.insert",
             "INSERT INTO webhooks (id, room_id, creator_id, url, events, description, enabled,"
             " secret, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
  c_.prepare("webhooks.list", hook_select + "WHERE room_id = $1 ORDER BY created_at, id");
  c_.prepare("webhooks.find", hook_select + "WHERE id = $1 AND room_id = $2");
  c_.prepare("webhooks.update",
             "UPDATE webhooks SET url = COALESCE($3, url), events = COALESCE($4, events),"
             " enabled = COALESCE($5::boolean, enabled),"
             " failure_count = CASE WHEN $6 THEN 0 ELSE failure_count END,"
             " disabled_reason = CASE WHEN $6 THEN '' ELSE disabled_reason END"
             " WHERE id = $1 AND room_id = $2");
  c_.prepare("webhooks.delete", "DELETE FROM webhooks WHERE id = $1 AND room_id = $2");
  c_.prepare("webhooks.rotate",
             "UPDATE webhooks SET prev_secret = secret, prev_secret_until = $3, secret = $4"
             " WHERE id = $1 AND room_id = $2");
  c_.prepare("webhooks.deliveries", "SELECT " + delivery_columns +
                                        " FROM webhook_deliveries d WHERE d.webhook_id = $1"
                                        " ORDER BY d.created_at DESC, d.id DESC LIMIT $2");
  c_.prepare("webhooks.delivery",
             "SELECT " + delivery_columns + " FROM webhook_deliveries d WHERE d.id = $1");
  c_.prepare(
      "webhooks.redeliver",
      "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, msg_id, attempt,"
      " state, next_attempt_at, lease_until, error, created_at, updated_at)"
      " SELECT $1::text, webhook_id, event, payload, msg_id, 0, 'pending', $2::bigint, 0, '',"
      " $2::bigint, $2::bigint"
      " FROM webhook_deliveries WHERE id = $3 AND webhook_id = $4");
  c_.prepare(
      "webhooks.for_event",
      "SELECT w.id, r.slug FROM webhooks w JOIN rooms r ON r.id = w.room_id"
      " WHERE w.room_id = $1 AND w.enabled AND w.events LIKE $2"
      " AND ($3 = '' OR EXISTS (SELECT 1 FROM channels c WHERE c.id = $3"
      "  AND c.room_id = w.room_id AND (c.visibility = 'public' OR EXISTS (SELECT 1"
      "   FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = w.creator_id))))");
  c_.prepare("webhooks.enqueue",
             "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, msg_id, attempt,"
             " state, next_attempt_at, lease_until, error, created_at, updated_at)"
             " VALUES ($1, $2, $3, $4, $5, 0, 'pending', $6, 0, '', $6, $6)");
  // The lease is the claim; SKIP LOCKED keeps two nodes' claims from waiting on (and then
  // both taking) the same rows while neither has committed.
  // The fair pick is SQLite's (each enabled hook's first due unleased rows, at most the
  // cap, through a LATERAL on webhook_deliveries_fair; a row taken only while its number
  // plus the hook's leased rows stays within the cap). It reads without locking; only the
  // rows it picked are then locked, skipping those another node's claim holds, and taken
  // only if still unleased, so a row another node leased meanwhile is re-checked and
  // never taken twice. (Locking every candidate would lock up to 4 rows of every hook
  // with due rows per claim.) Two nodes claiming at once may each count the other's new
  // leases as free, so a hook may briefly have a few more than the cap in flight; the
  // node that loses a row to the other gets fewer this time and claims again.
  c_.prepare("webhooks.claim",
             "UPDATE webhook_deliveries u SET lease_until = $1 WHERE u.id IN (SELECT l.id FROM"
             " webhook_deliveries l WHERE l.id IN (SELECT r.id FROM (SELECT c.id,"
             " c.next_attempt_at, row_number() OVER (PARTITION BY c.webhook_id"
             " ORDER BY c.next_attempt_at, c.id) AS n, (SELECT count(*) FROM webhook_deliveries b"
             " WHERE b.state = 'pending' AND b.lease_until > $2 AND b.webhook_id = c.webhook_id)"
             " AS busy FROM webhooks w CROSS JOIN LATERAL (SELECT x.id, x.webhook_id,"
             " x.next_attempt_at FROM webhook_deliveries x WHERE x.webhook_id = w.id"
             " AND x.state = 'pending' AND x.next_attempt_at <= $2 AND x.lease_until <= $2"
             " ORDER BY x.next_attempt_at, x.id LIMIT $4) c WHERE w.enabled) r"
             " WHERE r.n + r.busy <= $4 ORDER BY r.next_attempt_at, r.id LIMIT $3)"
             " AND l.state = 'pending' AND l.lease_until <= $2 FOR UPDATE OF l SKIP LOCKED)"
             " AND u.lease_until <= $2 RETURNING u.id");
  c_.prepare("webhooks.job",
             "SELECT " + delivery_columns +
                 ", w.url, w.secret, CASE WHEN w.prev_secret_until > $2 THEN w.prev_secret"
                 " ELSE '' END, w.room_id, w.creator_id FROM webhook_deliveries d"
                 " JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1");
  c_.prepare("webhooks.attempt",
             "UPDATE webhook_deliveries SET attempt = $2, state = $3, next_attempt_at = $4,"
             " lease_until = 0, status_code = $5, latency_ms = $6, error = $7, updated_at = $8"
             " WHERE id = $1");
  c_.prepare("webhooks.health",
             "UPDATE webhooks SET last_state = $2, last_status_code = $3, last_attempt_at = $4,"
             " failure_count = CASE WHEN $5 THEN 0 ELSE failure_count + $6 END"
             " WHERE id = $1 RETURNING enabled, failure_count, room_id, creator_id, url");
  c_.prepare("webhooks.disable",
             "UPDATE webhooks SET enabled = false, disabled_reason = $2 WHERE id = $1");
}

expected<webhook_row> webhooks::create_webhook(const webhook_row& row) {
  return c_.run("create webhook", [&](pqxx::transaction_base& t) -> expected<webhook_row> {
    t.exec_prepared0("webhooks.insert", row.id, row.room_id, row.creator_id, row.url,
                     webhook_text::join_events(row.events), row.description, row.enabled,
                     row.secret, row.created_at);
    return read_hook(t.exec_prepared1("webhooks.find", row.id, row.room_id));
  });
}

expected<std::vector<webhook_row>> webhooks::list_webhooks(const std::string& room_id) {
  return c_.run("list webhooks",
                [&](pqxx::transaction_base& t) -> expected<std::vector<webhook_row>> {
                  std::vector<webhook_row> out;
                  for (const auto& r : t.exec_prepared("webhooks.list", room_id))
                    out.push_back(read_hook(r));
                  return out;
                });
}

expected<webhook_row> webhooks::find_webhook(const std::string& room_id, const std::string& id) {
  return c_.run("find webhook", [&](pqxx::transaction_base& t) -> expected<webhook_row> {
    auto res = t.exec_prepared("webhooks.find", id, room_id);
    if (res.empty()) return make_error(errc::not_found, "no such webhook");
    return read_hook(res[0]);
  });
}

expected<webhook_row> webhooks::update_webhook(const std::string& room_id, const std::string& id,
                                               const webhook_change& change) {
  return c_.run("update webhook", [&](pqxx::transaction_base& t) -> expected<webhook_row> {
    std::optional<std::string> events;
    if (change.events) events = webhook_text::join_events(*change.events);
    const bool reenable = change.enabled.value_or(false);
    auto res = t.exec_prepared("webhooks.update", id, room_id, change.url, events, change.enabled,
                               reenable);
    if (res.affected_rows() == 0) return make_error(errc::not_found, "no such webhook");
    return read_hook(t.exec_prepared1("webhooks.find", id, room_id));
  });
}

expected<void> webhooks::delete_webhook(const std::string& room_id, const std::string& id) {
  return c_.run("delete webhook", [&](pqxx::transaction_base& t) -> expected<void> {
    if (t.exec_prepared("webhooks.delete", id, room_id).affected_rows() == 0)
      return make_error(errc::not_found, "no such webhook");
    return {};
  });
}

expected<webhook_row> webhooks::rotate_webhook_secret(const std::string& room_id,
                                                      const std::string& id,
                                                      const std::string& secret,
                                                      std::int64_t previous_until) {
  return c_.run("rotate webhook secret", [&](pqxx::transaction_base& t) -> expected<webhook_row> {
    if (t.exec_prepared("webhooks.rotate", id, room_id, previous_until, secret).affected_rows() ==
        0)
      return make_error(errc::not_found, "no such webhook");
    return read_hook(t.exec_prepared1("webhooks.find", id, room_id));
  });
}

expected<std::vector<webhook_delivery_row>> webhooks::list_webhook_deliveries(
    const std::string& webhook_id, int limit) {
  return c_.run("list webhook deliveries",
                [&](pqxx::transaction_base& t) -> expected<std::vector<webhook_delivery_row>> {
                  std::vector<webhook_delivery_row> out;
                  for (const auto& r : t.exec_prepared("webhooks.deliveries", webhook_id,
                                                       static_cast<std::int64_t>(limit)))
                    out.push_back(read_delivery(r));
                  return out;
                });
}

expected<webhook_delivery_row> webhooks::redeliver_webhook(const std::string& webhook_id,
                                                           const std::string& delivery_id,
                                                           std::int64_t now) {
  return c_.run("redeliver", [&](pqxx::transaction_base& t) -> expected<webhook_delivery_row> {
    const std::string id = make_id("dlv");
    if (t.exec_prepared("webhooks.redeliver", id, now, delivery_id, webhook_id).affected_rows() ==
        0)
      return make_error(errc::not_found, "no such delivery");
    return read_delivery(t.exec_prepared1("webhooks.delivery", id));
  });
}

expected<int> webhooks::enqueue_webhook_event(const std::string& room_id,
                                              const std::string& channel_id,
                                              const std::string& event,
                                              const std::function<std::string()>& data,
                                              std::int64_t now) {
  return c_.run("enqueue webhook event", [&](pqxx::transaction_base& t) -> expected<int> {
    auto hooks = t.exec_prepared("webhooks.for_event", room_id, "%," + event + ",%", channel_id);
    if (hooks.empty()) return 0;
    const auto body =
        webhook_text::payload(event, format_iso8601(now), hooks[0][1].as<std::string>(), data());
    for (const auto& h : hooks)
      t.exec_prepared0("webhooks.enqueue", make_id("dlv"), h[0].as<std::string>(), event, body,
                       make_id("msg"), now);
    return static_cast<int>(hooks.size());
  });
}

expected<std::vector<webhook_job>> webhooks::claim_webhook_deliveries(std::int64_t now,
                                                                      std::int64_t lease_ms,
                                                                      int limit) {
  return c_.run("claim webhook deliveries",
                [&](pqxx::transaction_base& t) -> expected<std::vector<webhook_job>> {
                  std::vector<webhook_job> out;
                  auto ids = t.exec_prepared("webhooks.claim", now + lease_ms, now,
                                             static_cast<std::int64_t>(limit),
                                             static_cast<std::int64_t>(webhook_in_flight_per_hook));
                  for (const auto& id : ids) {
                    auto res = t.exec_prepared("webhooks.job", id[0].as<std::string>(), now);
                    if (res.empty()) continue;
                    webhook_job j;
                    j.delivery = read_delivery(res[0]);
                    j.url = res[0][13].as<std::string>();
                    j.secret = res[0][14].as<std::string>();
                    j.previous_secret = res[0][15].as<std::string>();
                    j.room_id = res[0][16].as<std::string>();
                    j.creator_id = res[0][17].as<std::string>();
                    out.push_back(std::move(j));
                  }
                  sort_claimed(out);
                  return out;
                });
}

expected<void> webhooks::release_webhook_leases() {
  // Other nodes may hold leases: in cluster mode they expire instead.
  return {};
}

expected<webhook_health> webhooks::record_webhook_attempt(const webhook_attempt& a) {
  return c_.run("record webhook attempt",
                [&](pqxx::transaction_base& t) -> expected<webhook_health> {
                  t.exec_prepared0("webhooks.attempt", a.delivery_id, a.attempt, a.state,
                                   a.next_attempt_at, a.status_code, a.latency_ms, a.error, a.at);
                  const bool reset = a.state == "succeeded";
                  const std::int64_t run_delta = a.state == "failed" ? 1 : 0;
                  auto res = t.exec_prepared("webhooks.health", a.webhook_id, a.state,
                                             a.status_code, a.at, reset, run_delta);
                  if (res.empty()) return webhook_health{};
                  webhook_health h;
                  const bool enabled = res[0][0].as<bool>();
                  const auto run = res[0][1].as<std::int64_t>();
                  h.room_id = res[0][2].as<std::string>();
                  h.creator_id = res[0][3].as<std::string>();
                  h.url = res[0][4].as<std::string>();
                  if (!enabled) return h;
                  if (a.disable)
                    h.reason = a.disable_reason;
                  else if (a.disable_after > 0 && run >= a.disable_after)
                    h.reason = std::to_string(run) + " deliveries in a row were refused";
                  if (h.reason.empty()) return h;
                  t.exec_prepared0("webhooks.disable", a.webhook_id, h.reason);
                  h.disabled_now = true;
                  return h;
                });
}

}  // namespace relay::storage::postgres
