// Outbound webhooks on SQLite. One writer at a time (the store writer), so a claim needs
// no row locks: the lease alone keeps a delivery from being sent twice at once.

#include "storage/sqlite/webhooks.hpp"

#include <sqlite3.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/webhook_claim.hpp"
#include "storage/webhook_text.hpp"

namespace relay::storage::sqlite {

namespace {

const std::string hook_select =
    "SELECT id, room_id, creator_id, url, events, description, enabled, secret, prev_secret,"
    " prev_secret_until, failure_count, last_state, last_status_code, last_attempt_at,"
    " disabled_reason, created_at FROM webhooks ";
const std::string delivery_select =
    "SELECT id, webhook_id, event, payload, msg_id, attempt, state, next_attempt_at,"
    " status_code, latency_ms, error, created_at, updated_at FROM webhook_deliveries ";

webhook_row read_hook(statement& st) {
  webhook_row w;
  w.id = st.text(0);
  w.room_id = st.text(1);
  w.creator_id = st.text(2);
  w.url = st.text(3);
  w.events = webhook_text::split_events(st.text(4));
  w.description = st.text(5);
  w.enabled = st.int64(6) != 0;
  w.secret = st.text(7);
  w.previous_secret = st.text(8);
  w.previous_secret_until = st.int64(9);
  w.failure_count = st.int64(10);
  w.last_state = st.text(11);
  w.last_status_code = st.opt_int64(12);
  w.last_attempt_at = st.opt_int64(13);
  w.disabled_reason = st.text(14);
  w.created_at = st.int64(15);
  return w;
}

webhook_delivery_row read_delivery(statement& st, int at = 0) {
  webhook_delivery_row d;
  d.id = st.text(at + 0);
  d.webhook_id = st.text(at + 1);
  d.event = st.text(at + 2);
  d.payload = st.text(at + 3);
  d.msg_id = st.text(at + 4);
  d.attempt = st.int64(at + 5);
  d.state = st.text(at + 6);
  d.next_attempt_at = st.int64(at + 7);
  d.status_code = st.opt_int64(at + 8);
  d.latency_ms = st.opt_int64(at + 9);
  d.error = st.text(at + 10);
  d.created_at = st.int64(at + 11);
  d.updated_at = st.int64(at + 12);
  return d;
}

}  // namespace

expected<webhook_row> webhooks::create_webhook(const webhook_row& row) {
  auto st = db_.prepare(
      "INSERT INTO webhooks (id, room_id, creator_id, url, events, description, enabled, secret,"
      " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return db_.failure("create webhook");
  st.bind(row.id).bind(row.room_id).bind(row.creator_id).bind(row.url);
  st.bind(webhook_text::join_events(row.events)).bind(row.description);
  st.bind(std::int64_t{row.enabled ? 1 : 0}).bind(row.secret).bind(row.created_at);
  if (st.step() != SQLITE_DONE) return db_.failure("create webhook");
  return find_webhook(row.room_id, row.id);
}

expected<std::vector<webhook_row>> webhooks::list_webhooks(const std::string& room_id) {
  auto st = db_.prepare(hook_select + "WHERE room_id = ? ORDER BY created_at, id");
  if (!st) return db_.failure("list webhooks");
  st.bind(room_id);
  std::vector<webhook_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_hook(st));
  if (rc != SQLITE_DONE) return db_.failure("list webhooks");
  return out;
}

expected<webhook_row> webhooks::find_webhook(const std::string& room_id, const std::string& id) {
  auto st = db_.prepare(hook_select + "WHERE id = ? AND room_id = ?");
  if (!st) return db_.failure("find webhook");
  st.bind(id).bind(room_id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_hook(st);
  if (rc != SQLITE_DONE) return db_.failure("find webhook");
  return make_error(errc::not_found, "no such webhook");
}

expected<webhook_row> webhooks::update_webhook(const std::string& room_id, const std::string& id,
                                               const webhook_change& change) {
  auto st = db_.prepare(
      "UPDATE webhooks SET url = COALESCE(?, url), events = COALESCE(?, events),"
      " enabled = COALESCE(?, enabled),"
      " failure_count = CASE WHEN ? = 1 THEN 0 ELSE failure_count END,"
      " disabled_reason = CASE WHEN ? = 1 THEN '' ELSE disabled_reason END"
      " WHERE id = ? AND room_id = ?");
  if (!st) return db_.failure("update webhook");
  if (change.url)
    st.bind(*change.url);
  else
    st.bind_null();
  if (change.events)
    st.bind(webhook_text::join_events(*change.events));
  else
    st.bind_null();
  if (change.enabled)
    st.bind(std::int64_t{*change.enabled ? 1 : 0});
  else
    st.bind_null();
  const std::int64_t reenable = change.enabled.value_or(false) ? 1 : 0;
  st.bind(reenable).bind(reenable).bind(id).bind(room_id);
  if (st.step() != SQLITE_DONE) return db_.failure("update webhook");
  if (db_.changes() == 0) return make_error(errc::not_found, "no such webhook");
  return find_webhook(room_id, id);
}

expected<void> webhooks::delete_webhook(const std::string& room_id, const std::string& id) {
  {
    auto st = db_.prepare(
        "DELETE FROM webhook_deliveries WHERE webhook_id IN"
        " (SELECT id FROM webhooks WHERE id = ? AND room_id = ?)");
    if (!st) return db_.failure("delete webhook");
    st.bind(id).bind(room_id);
    if (st.step() != SQLITE_DONE) return db_.failure("delete webhook");
  }
  auto st = db_.prepare("DELETE FROM webhooks WHERE id = ? AND room_id = ?");
  if (!st) return db_.failure("delete webhook");
  st.bind(id).bind(room_id);
  if (st.step() != SQLITE_DONE) return db_.failure("delete webhook");
  if (db_.changes() == 0) return make_error(errc::not_found, "no such webhook");
  return {};
}

expected<webhook_row> webhooks::rotate_webhook_secret(const std::string& room_id,
                                                      const std::string& id,
                                                      const std::string& secret,
                                                      std::int64_t previous_until) {
  auto st = db_.prepare(
      "UPDATE webhooks SET prev_secret = secret, prev_secret_until = ?, secret = ?"
      " WHERE id = ? AND room_id = ?");
  if (!st) return db_.failure("rotate webhook secret");
  st.bind(previous_until).bind(secret).bind(id).bind(room_id);
  if (st.step() != SQLITE_DONE) return db_.failure("rotate webhook secret");
  if (db_.changes() == 0) return make_error(errc::not_found, "no such webhook");
  return find_webhook(room_id, id);
}

expected<std::vector<webhook_delivery_row>> webhooks::list_webhook_deliveries(
    const std::string& webhook_id, int limit) {
  auto st = db_.prepare(delivery_select +
                        "WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?");
  if (!st) return db_.failure("list webhook deliveries");
  st.bind(webhook_id).bind(std::int64_t{limit});
  std::vector<webhook_delivery_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_delivery(st));
  if (rc != SQLITE_DONE) return db_.failure("list webhook deliveries");
  return out;
}

expected<webhook_delivery_row> webhooks::redeliver_webhook(const std::string& webhook_id,
                                                           const std::string& delivery_id,
                                                           std::int64_t now) {
  const std::string id = make_id("dlv");
  {
    auto st = db_.prepare(
        "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, msg_id, attempt, state,"
        " next_attempt_at, lease_until, error, created_at, updated_at)"
        " SELECT ?, webhook_id, event, payload, msg_id, 0, 'pending', ?, 0, '', ?, ?"
        " FROM webhook_deliveries WHERE id = ? AND webhook_id = ?");
    if (!st) return db_.failure("redeliver");
    st.bind(id).bind(now).bind(now).bind(now).bind(delivery_id).bind(webhook_id);
    if (st.step() != SQLITE_DONE) return db_.failure("redeliver");
    if (db_.changes() == 0) return make_error(errc::not_found, "no such delivery");
  }
  auto st = db_.prepare(delivery_select + "WHERE id = ?");
  if (!st) return db_.failure("redeliver");
  st.bind(id);
  if (st.step() != SQLITE_ROW) return db_.failure("redeliver");
  return read_delivery(st);
}

expected<int> webhooks::enqueue_webhook_event(const std::string& room_id,
                                              const std::string& channel_id,
                                              const std::string& event,
                                              const std::function<std::string()>& data,
                                              std::int64_t now) {
  // A channel other than the room-wide thread must be public, or have the hook's creator
  // among its members: a private channel's or DM's events reach only hooks of those who
  // see them.
  auto st = db_.prepare(
      "SELECT w.id, r.slug FROM webhooks w JOIN rooms r ON r.id = w.room_id"
      " WHERE w.room_id = ? AND w.enabled = 1 AND w.events LIKE ?"
      " AND (? = '' OR EXISTS (SELECT 1 FROM channels c WHERE c.id = ? AND c.room_id = w.room_id"
      "  AND (c.visibility = 'public' OR EXISTS (SELECT 1 FROM channel_members m"
      "   WHERE m.channel_id = c.id AND m.user_id = w.creator_id))))");
  if (!st) return db_.failure("find webhooks for event");
  st.bind(room_id).bind("%," + event + ",%").bind(channel_id).bind(channel_id);
  std::vector<std::string> hooks;
  std::string slug;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    hooks.push_back(st.text(0));
    slug = st.text(1);
  }
  if (rc != SQLITE_DONE) return db_.failure("find webhooks for event");
  if (hooks.empty()) return 0;
  const auto body = webhook_text::payload(event, format_iso8601(now), slug, data());
  for (auto& hook : hooks) {
    auto ins = db_.prepare(
        "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, msg_id, attempt, state,"
        " next_attempt_at, lease_until, error, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 0, 'pending', ?, 0, '', ?, ?)");
    if (!ins) return db_.failure("enqueue webhook delivery");
    ins.bind(make_id("dlv")).bind(hook).bind(event).bind(body).bind(make_id("msg"));
    ins.bind(now).bind(now).bind(now);
    if (ins.step() != SQLITE_DONE) return db_.failure("enqueue webhook delivery");
  }
  return static_cast<int>(hooks.size());
}

expected<std::vector<webhook_job>> webhooks::claim_webhook_deliveries(std::int64_t now,
                                                                      std::int64_t lease_ms,
                                                                      int limit) {
  std::vector<std::string> ids;
  {
    // Fairness: each enabled hook offers its first due unleased rows (at most the cap, from
    // webhook_deliveries_fair), numbered in due order, and a row is taken only while its
    // number plus the hook's leased rows (webhook_deliveries_leased: few, a node leases at
    // most its pool) stays within the cap, so one hook's backlog cannot take every slot.
    // Per hook, not a window over every due row: a dead hook's backlog of 10,000 costs 4
    // index reads, not a scan. The CROSS JOIN keeps hooks outside: without statistics the
    // planner would otherwise walk every delivery and run the subquery for each.
    auto st = db_.prepare(
        "UPDATE webhook_deliveries SET lease_until = ?1 WHERE id IN (SELECT id FROM"
        " (SELECT c.id, c.next_attempt_at, ROW_NUMBER() OVER (PARTITION BY c.webhook_id"
        " ORDER BY c.next_attempt_at, c.id) AS n, (SELECT COUNT(*) FROM webhook_deliveries l"
        " INDEXED BY webhook_deliveries_leased WHERE l.state = 'pending'"
        " AND l.lease_until > ?2 AND l.webhook_id = c.webhook_id) AS busy"
        " FROM webhooks w CROSS JOIN webhook_deliveries c WHERE c.id IN (SELECT x.id"
        " FROM webhook_deliveries x WHERE x.webhook_id = w.id AND x.state = 'pending'"
        " AND x.next_attempt_at <= ?2 AND x.lease_until <= ?2"
        " ORDER BY x.next_attempt_at, x.id LIMIT ?4) AND w.enabled = 1)"
        " WHERE n + busy <= ?4 ORDER BY next_attempt_at, id LIMIT ?3) RETURNING id");
    if (!st) return db_.failure("claim webhook deliveries");
    st.bind(now + lease_ms)
        .bind(now)
        .bind(std::int64_t{limit})
        .bind(std::int64_t{webhook_in_flight_per_hook});
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) ids.push_back(st.text(0));
    if (rc != SQLITE_DONE) return db_.failure("claim webhook deliveries");
  }
  std::vector<webhook_job> out;
  for (auto& id : ids) {
    auto st = db_.prepare(
        "SELECT d.id, d.webhook_id, d.event, d.payload, d.msg_id, d.attempt, d.state,"
        " d.next_attempt_at, d.status_code, d.latency_ms, d.error, d.created_at, d.updated_at,"
        " w.url, w.secret, CASE WHEN w.prev_secret_until > ? THEN w.prev_secret ELSE '' END,"
        " w.room_id, w.creator_id FROM webhook_deliveries d JOIN webhooks w"
        " ON w.id = d.webhook_id WHERE d.id = ?");
    if (!st) return db_.failure("claim webhook deliveries");
    st.bind(now).bind(id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) continue;
    if (rc != SQLITE_ROW) return db_.failure("claim webhook deliveries");
    webhook_job j;
    j.delivery = read_delivery(st);
    j.url = st.text(13);
    j.secret = st.text(14);
    j.previous_secret = st.text(15);
    j.room_id = st.text(16);
    j.creator_id = st.text(17);
    out.push_back(std::move(j));
  }
  sort_claimed(out);
  return out;
}

expected<void> webhooks::release_webhook_leases() {
  return db_.run("UPDATE webhook_deliveries SET lease_until = 0 WHERE lease_until > 0",
                 "release webhook leases");
}

expected<webhook_health> webhooks::record_webhook_attempt(const webhook_attempt& a) {
  {
    auto st = db_.prepare(
        "UPDATE webhook_deliveries SET attempt = ?, state = ?, next_attempt_at = ?,"
        " lease_until = 0, status_code = ?, latency_ms = ?, error = ?, updated_at = ?"
        " WHERE id = ?");
    if (!st) return db_.failure("record webhook attempt");
    st.bind(a.attempt).bind(a.state).bind(a.next_attempt_at);
    if (a.status_code)
      st.bind(*a.status_code);
    else
      st.bind_null();
    st.bind(a.latency_ms).bind(a.error).bind(a.at).bind(a.delivery_id);
    if (st.step() != SQLITE_DONE) return db_.failure("record webhook attempt");
  }
  // A success ends the failure run; a delivery that failed for good extends it.
  const std::int64_t run_delta = a.state == "failed" ? 1 : 0;
  const std::int64_t reset = a.state == "succeeded" ? 1 : 0;
  auto st = db_.prepare(
      "UPDATE webhooks SET last_state = ?, last_status_code = ?, last_attempt_at = ?,"
      " failure_count = CASE WHEN ? = 1 THEN 0 ELSE failure_count + ? END"
      " WHERE id = ? RETURNING enabled, failure_count, room_id, creator_id, url");
  if (!st) return db_.failure("record webhook attempt");
  st.bind(a.state);
  if (a.status_code)
    st.bind(*a.status_code);
  else
    st.bind_null();
  st.bind(a.at).bind(reset).bind(run_delta).bind(a.webhook_id);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return webhook_health{};  // deleted meanwhile
  if (rc != SQLITE_ROW) return db_.failure("record webhook attempt");
  webhook_health h;
  const bool enabled = st.int64(0) != 0;
  const auto run = st.int64(1);
  h.room_id = st.text(2);
  h.creator_id = st.text(3);
  h.url = st.text(4);
  if (st.step() != SQLITE_DONE) return db_.failure("record webhook attempt");
  if (!enabled) return h;
  if (a.disable)
    h.reason = a.disable_reason;
  else if (a.disable_after > 0 && run >= a.disable_after)
    h.reason = std::to_string(run) + " deliveries in a row were refused";
  if (h.reason.empty()) return h;
  auto off = db_.prepare("UPDATE webhooks SET enabled = 0, disabled_reason = ? WHERE id = ?");
  if (!off) return db_.failure("disable webhook");
  off.bind(h.reason).bind(a.webhook_id);
  if (off.step() != SQLITE_DONE) return db_.failure("disable webhook");
  h.disabled_now = true;
  return h;
}

}  // namespace relay::storage::sqlite
