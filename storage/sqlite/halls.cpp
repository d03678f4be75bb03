// The halls area on SQLite: workspaces and keys, halls, grants, sessions and the
// participant-minute ledger (migration 5).

#include "storage/sqlite/halls.hpp"

#include <sqlite3.h>

#include "core/billing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace relay::storage::sqlite {

namespace {

const std::string sql_insert_workspace =
    "INSERT INTO hall_workspaces (id, plan, created_at) VALUES (?, ?, ?)";
const std::string sql_insert_hall_key =
    "INSERT INTO hall_keys (id, workspace_id, key_hash, test_mode, created_at)"
    " VALUES (?, ?, ?, ?, ?)";
const std::string sql_find_hall_key =
    "SELECT k.id, k.workspace_id, w.plan, k.test_mode, k.created_at FROM hall_keys k"
    " JOIN hall_workspaces w ON w.id = k.workspace_id WHERE k.key_hash = ?";

const std::string hall_cols =
    "id, workspace_id, test_mode, name, max_participants, status, created_at, closed_at";
const std::string sql_insert_hall =
    "INSERT INTO halls (" + hall_cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const std::string sql_find_hall = "SELECT " + hall_cols + " FROM halls WHERE id = ?";
const std::string sql_close_hall =
    "UPDATE halls SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'";

const std::string sql_list_grants =
    "SELECT hall_id, participant_id, display_name, role, granted_at FROM hall_grants"
    " WHERE hall_id = ? ORDER BY granted_at, participant_id";
const std::string sql_upsert_grant =
    "INSERT INTO hall_grants (hall_id, participant_id, display_name, role, granted_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (hall_id, participant_id) DO UPDATE SET"
    " display_name = excluded.display_name, role = excluded.role,"
    " granted_at = excluded.granted_at";

const std::string session_cols =
    "id, hall_id, participant_id, display_name, role, joined_at, left_at, minutes";
const std::string sql_list_sessions = "SELECT " + session_cols +
                                      " FROM hall_sessions WHERE hall_id = ?"
                                      " ORDER BY COALESCE(joined_at, left_at), id";
const std::string sql_session_billed =
    "SELECT billed_period, minutes FROM hall_sessions WHERE id = ?";
const std::string sql_upsert_session =
    "INSERT INTO hall_sessions (" + session_cols +
    ", billed_period) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,"
    " role = excluded.role, joined_at = excluded.joined_at, left_at = excluded.left_at,"
    " minutes = excluded.minutes,"
    " billed_period = COALESCE(excluded.billed_period, hall_sessions.billed_period)";
const std::string sql_add_usage =
    "INSERT INTO hall_usage (workspace_id, test_mode, period, minutes) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (workspace_id, test_mode, period) DO UPDATE SET"
    " minutes = minutes + excluded.minutes";
const std::string sql_usage =
    "SELECT minutes FROM hall_usage WHERE workspace_id = ? AND test_mode = ? AND period = ?";
const std::string sql_insert_webhook =
    "INSERT INTO livekit_webhooks (id, hall_id, applied_at) VALUES (?, ?, ?)"
    " ON CONFLICT (id) DO NOTHING";

hall_row read_hall(statement& st) {
  hall_row h;
  h.id = st.text(0);
  h.workspace_id = st.text(1);
  h.test_mode = st.int64(2) != 0;
  h.name = st.text(3);
  h.max_participants = st.opt_int64(4);
  h.status = st.text(5);
  h.created_at = st.int64(6);
  h.closed_at = st.opt_int64(7);
  return h;
}

}  // namespace

expected<hall_key_row> halls::create_hall_key(const std::string& plan, bool test_mode,
                                              const std::string& key_hash) {
  if (!billing::parse_plan(plan))
    return make_error(errc::bad_request, "plan must be starter or growth");
  if (key_hash.empty()) return make_error(errc::missing_field, "key hash is empty");
  hall_key_row k;
  k.key_id = make_id("hk");
  k.workspace_id = make_id("ws");
  k.plan = plan;
  k.test_mode = test_mode;
  k.created_at = now_ms();
  savepoint sp{db_};
  if (!sp) return sp.error();
  {
    auto st = db_.prepare(sql_insert_workspace);
    if (!st) return db_.failure("prepare");
    st.bind(k.workspace_id).bind(k.plan).bind(k.created_at);
    if (st.step() != SQLITE_DONE) return db_.failure("create workspace");
  }
  {
    auto st = db_.prepare(sql_insert_hall_key);
    if (!st) return db_.failure("prepare");
    st.bind(k.key_id)
        .bind(k.workspace_id)
        .bind(key_hash)
        .bind(std::int64_t{test_mode})
        .bind(k.created_at);
    const int rc = st.step();
    if (is_constraint(rc)) return make_error(errc::conflict, "this key hash is already in use");
    if (rc != SQLITE_DONE) return db_.failure("create hall key");
  }
  if (auto r = sp.release(); !r) return r.error();
  return k;
}

expected<hall_key_row> halls::find_hall_key(const std::string& key_hash) {
  auto st = db_.prepare(sql_find_hall_key);
  if (!st) return db_.failure("find hall key");
  st.bind(key_hash);
  const int rc = st.step();
  if (rc == SQLITE_ROW) {
    hall_key_row k;
    k.key_id = st.text(0);
    k.workspace_id = st.text(1);
    k.plan = st.text(2);
    k.test_mode = st.int64(3) != 0;
    k.created_at = st.int64(4);
    return k;
  }
  if (rc != SQLITE_DONE) return db_.failure("find hall key");
  return make_error(errc::not_found, "no such hall key");
}

expected<hall_row> halls::create_hall(const hall_row& row) {
  if (row.id.empty() || row.workspace_id.empty())
    return make_error(errc::missing_field, "hall id and workspace are required");
  hall_row h = row;
  if (h.created_at == 0) h.created_at = now_ms();
  auto st = db_.prepare(sql_insert_hall);
  if (!st) return db_.failure("create hall");
  st.bind(h.id).bind(h.workspace_id).bind(std::int64_t{h.test_mode}).bind(h.name);
  if (h.max_participants)
    st.bind(*h.max_participants);
  else
    st.bind_null();
  st.bind(h.status).bind(h.created_at);
  if (h.closed_at)
    st.bind(*h.closed_at);
  else
    st.bind_null();
  const int rc = st.step();
  if (rc == SQLITE_DONE) return h;
  if (is_constraint(rc))
    return make_error(errc::conflict, "hall id is taken or its workspace does not exist");
  return db_.failure("create hall");
}

expected<hall_row> halls::find_hall(const std::string& id) {
  auto st = db_.prepare(sql_find_hall);
  if (!st) return db_.failure("find hall");
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_hall(st);
  if (rc != SQLITE_DONE) return db_.failure("find hall");
  return make_error(errc::not_found, "no such hall");
}

expected<hall_snapshot> halls::load_hall(const std::string& hall_id) {
  auto hall = find_hall(hall_id);
  if (!hall) return hall.error();
  hall_snapshot snap;
  snap.hall = std::move(*hall);
  {
    auto st = db_.prepare(sql_list_grants);
    if (!st) return db_.failure("list hall grants");
    st.bind(hall_id);
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      auto role = parse_hall_role(st.text(3));
      if (!role)
        return db_.fail(errc::internal, "a grant of hall " + hall_id + " has an unknown role");
      snap.grants.push_back({st.text(0), st.text(1), st.text(2), *role, st.int64(4)});
    }
    if (rc != SQLITE_DONE) return db_.failure("list hall grants");
  }
  auto st = db_.prepare(sql_list_sessions);
  if (!st) return db_.failure("list hall sessions");
  st.bind(hall_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    auto role = parse_hall_role(st.text(4));
    if (!role) return db_.fail(errc::internal, "session " + st.text(0) + " has an unknown role");
    snap.sessions.push_back({st.text(0), st.text(1), st.text(2), st.text(3), *role, st.opt_int64(5),
                             st.opt_int64(6), st.int64(7)});
  }
  if (rc != SQLITE_DONE) return db_.failure("list hall sessions");
  return snap;
}

expected<void> halls::write_hall_session(const hall_row& hall, const hall_session_row& s) {
  const bool complete = s.joined_at && s.left_at;
  // What the ledger holds for this session already: its period and minutes.
  std::string billed_period;
  std::int64_t billed_minutes = 0;
  {
    auto st = db_.prepare(sql_session_billed);
    if (!st) return db_.failure("read hall session");
    st.bind(s.id);
    const int rc = st.step();
    if (rc == SQLITE_ROW && !st.is_null(0)) {
      billed_period = st.text(0);
      billed_minutes = st.int64(1);
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return db_.failure("read hall session");
    }
  }
  const std::string period = complete ? billing::period_of(*s.left_at) : "";
  {
    auto st = db_.prepare(sql_upsert_session);
    if (!st) return db_.failure("write hall session");
    st.bind(s.id)
        .bind(s.hall_id)
        .bind(s.participant_id)
        .bind(s.display_name)
        .bind(to_string(s.role));
    s.joined_at ? st.bind(*s.joined_at) : st.bind_null();
    s.left_at ? st.bind(*s.left_at) : st.bind_null();
    st.bind(s.minutes).bind_text_or_null(period);
    const int rc = st.step();
    if (is_constraint(rc))
      return make_error(errc::conflict,
                        "participant " + s.participant_id + " already has an open session");
    if (rc != SQLITE_DONE) return db_.failure("write hall session");
  }
  // The ledger counts a session once: when it first becomes complete, and again only
  // as a correction when LiveKit's times change it (a leave that arrives after a close
  // ended the stay). Rewriting it unchanged (a replay, a recovered actor) adds nothing.
  if (!complete) return {};
  if (!billed_period.empty() && billed_period == period && billed_minutes == s.minutes) return {};
  auto add = [&](const std::string& in, std::int64_t minutes) -> expected<void> {
    auto st = db_.prepare(sql_add_usage);
    if (!st) return db_.failure("add hall usage");
    st.bind(hall.workspace_id).bind(std::int64_t{hall.test_mode}).bind(in).bind(minutes);
    if (st.step() != SQLITE_DONE) return db_.failure("add hall usage");
    return {};
  };
  if (!billed_period.empty())
    if (auto r = add(billed_period, -billed_minutes); !r) return r;
  return add(period, s.minutes);
}

expected<bool> halls::apply_hall_change(const hall_change& change) {
  savepoint sp{db_};
  if (!sp) return sp.error();
  auto hall = find_hall(change.hall_id);
  if (!hall) return hall.error();
  if (!change.webhook_id.empty()) {
    auto st = db_.prepare(sql_insert_webhook);
    if (!st) return db_.failure("record webhook id");
    st.bind(change.webhook_id).bind(change.hall_id).bind(now_ms());
    if (st.step() != SQLITE_DONE) return db_.failure("record webhook id");
    if (db_.changes() == 0) {
      // Seen before: this delivery is a replay and must change nothing.
      if (auto r = sp.release(); !r) return r.error();
      return false;
    }
  }
  if (change.grant) {
    auto& g = *change.grant;
    auto st = db_.prepare(sql_upsert_grant);
    if (!st) return db_.failure("write hall grant");
    st.bind(g.hall_id).bind(g.participant_id).bind(g.display_name).bind(to_string(g.role));
    st.bind(g.granted_at);
    if (st.step() != SQLITE_DONE) return db_.failure("write hall grant");
  }
  for (auto& s : change.sessions)
    if (auto r = write_hall_session(*hall, s); !r) return r.error();
  if (change.closed_at) {
    auto st = db_.prepare(sql_close_hall);
    if (!st) return db_.failure("close hall");
    st.bind(*change.closed_at).bind(change.hall_id);
    if (st.step() != SQLITE_DONE) return db_.failure("close hall");
  }
  if (auto r = sp.release(); !r) return r.error();
  return true;
}

expected<std::int64_t> halls::hall_usage_minutes(const std::string& workspace_id, bool test_mode,
                                                 const std::string& period) {
  auto st = db_.prepare(sql_usage);
  if (!st) return db_.failure("read hall usage");
  st.bind(workspace_id).bind(std::int64_t{test_mode}).bind(period);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return st.int64(0);
  if (rc != SQLITE_DONE) return db_.failure("read hall usage");
  return std::int64_t{0};
}

}  // namespace relay::storage::sqlite
