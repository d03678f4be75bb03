// The SQLite store's halls: workspaces and keys, halls, grants, sessions and the
// participant-minute ledger (migration 5).

#include <sqlite3.h>

#include "core/billing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/sqlite_statement.hpp"
#include "storage/sqlite_store.hpp"

namespace relay::storage {

using detail::statement;

namespace {

bool is_constraint(int rc) {
  return (rc & 0xff) == SQLITE_CONSTRAINT;
}

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

result<hall_key_row> sqlite_store::create_hall_key(const std::string& plan, bool test_mode,
                                                   const std::string& key_hash) {
  last_error_ = {};
  using R = result<hall_key_row>;
  if (!billing::parse_plan(plan))
    return R::fail(errc::bad_request, "plan must be starter or growth");
  if (key_hash.empty()) return R::fail(errc::missing_field, "key hash is empty");
  hall_key_row k;
  k.key_id = make_id("hk");
  k.workspace_id = make_id("ws");
  k.plan = plan;
  k.test_mode = test_mode;
  k.created_at = now_ms();
  if (!open_savepoint()) return R::fail(last_error_.code, last_error_.message);
  auto failed = [&](const char* what) {
    record(what);
    undo_savepoint();
    return R::fail(last_error_.code, last_error_.message);
  };
  {
    auto st = prepare(sql_insert_workspace);
    if (!st) return failed("prepare");
    st.bind(k.workspace_id).bind(k.plan).bind(k.created_at);
    if (st.step() != SQLITE_DONE) return failed("create workspace");
  }
  {
    auto st = prepare(sql_insert_hall_key);
    if (!st) return failed("prepare");
    st.bind(k.key_id)
        .bind(k.workspace_id)
        .bind(key_hash)
        .bind(std::int64_t{test_mode})
        .bind(k.created_at);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (is_constraint(rc)) record(errc::conflict, "this key hash is already in use");
      return failed("create hall key");
    }
  }
  if (!release_savepoint()) return R::fail(last_error_.code, last_error_.message);
  return R::ok(std::move(k));
}

std::optional<hall_key_row> sqlite_store::find_hall_key(const std::string& key_hash) {
  last_error_ = {};
  auto st = prepare(sql_find_hall_key);
  if (!st) return std::nullopt;
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
  if (rc != SQLITE_DONE) record("find hall key");
  return std::nullopt;
}

result<hall_row> sqlite_store::create_hall(const hall_row& row) {
  last_error_ = {};
  using R = result<hall_row>;
  if (row.id.empty() || row.workspace_id.empty())
    return R::fail(errc::missing_field, "hall id and workspace are required");
  hall_row h = row;
  if (h.created_at == 0) h.created_at = now_ms();
  auto st = prepare(sql_insert_hall);
  if (!st) return R::fail(last_error_.code, last_error_.message);
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
  if (rc == SQLITE_DONE) return R::ok(std::move(h));
  if (is_constraint(rc))
    record(errc::conflict, "hall id is taken or its workspace does not exist");
  else
    record("create hall");
  return R::fail(last_error_.code, last_error_.message);
}

std::optional<hall_row> sqlite_store::fetch_hall(const std::string& id) {
  auto st = prepare(sql_find_hall);
  if (!st) return std::nullopt;
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_hall(st);
  if (rc != SQLITE_DONE) record("find hall");
  return std::nullopt;
}

std::optional<hall_snapshot> sqlite_store::load_hall(const std::string& hall_id) {
  last_error_ = {};
  auto hall = fetch_hall(hall_id);
  if (!hall) return std::nullopt;
  hall_snapshot snap;
  snap.hall = std::move(*hall);
  {
    auto st = prepare(sql_list_grants);
    if (!st) return std::nullopt;
    st.bind(hall_id);
    int rc;
    while ((rc = st.step()) == SQLITE_ROW)
      snap.grants.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.int64(4)});
    if (rc != SQLITE_DONE) {
      record("list hall grants");
      return std::nullopt;
    }
  }
  auto st = prepare(sql_list_sessions);
  if (!st) return std::nullopt;
  st.bind(hall_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    snap.sessions.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.text(4),
                             st.opt_int64(5), st.opt_int64(6), st.int64(7)});
  if (rc != SQLITE_DONE) {
    record("list hall sessions");
    return std::nullopt;
  }
  return snap;
}

bool sqlite_store::write_hall_session(const hall_row& hall, const hall_session_row& s) {
  const bool complete = s.joined_at && s.left_at;
  // What the ledger holds for this session already: its period and minutes.
  std::string billed_period;
  std::int64_t billed_minutes = 0;
  {
    auto st = prepare(sql_session_billed);
    if (!st) return false;
    st.bind(s.id);
    const int rc = st.step();
    if (rc == SQLITE_ROW && !st.is_null(0)) {
      billed_period = st.text(0);
      billed_minutes = st.int64(1);
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      record("read hall session");
      return false;
    }
  }
  const std::string period = complete ? billing::period_of(*s.left_at) : "";
  {
    auto st = prepare(sql_upsert_session);
    if (!st) return false;
    st.bind(s.id).bind(s.hall_id).bind(s.participant_id).bind(s.display_name).bind(s.role);
    s.joined_at ? st.bind(*s.joined_at) : st.bind_null();
    s.left_at ? st.bind(*s.left_at) : st.bind_null();
    st.bind(s.minutes).bind_text_or_null(period);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (is_constraint(rc))
        record(errc::conflict, "participant " + s.participant_id + " already has an open session");
      else
        record("write hall session");
      return false;
    }
  }
  // The ledger counts a session once: when it first becomes complete, and again only
  // as a correction when LiveKit's times change it (a leave that arrives after a close
  // ended the stay). Rewriting it unchanged (a replay, a recovered actor) adds nothing.
  if (!complete) return true;
  if (!billed_period.empty() && billed_period == period && billed_minutes == s.minutes) return true;
  auto add = [&](const std::string& in, std::int64_t minutes) {
    auto st = prepare(sql_add_usage);
    if (!st) return false;
    st.bind(hall.workspace_id).bind(std::int64_t{hall.test_mode}).bind(in).bind(minutes);
    if (st.step() != SQLITE_DONE) {
      record("add hall usage");
      return false;
    }
    return true;
  };
  if (!billed_period.empty() && !add(billed_period, -billed_minutes)) return false;
  return add(period, s.minutes);
}

result<bool> sqlite_store::apply_hall_change(const hall_change& change) {
  last_error_ = {};
  using R = result<bool>;
  if (!open_savepoint()) return R::fail(last_error_.code, last_error_.message);
  auto failed = [&] {
    undo_savepoint();
    return R::fail(last_error_.code, last_error_.message);
  };
  auto hall = fetch_hall(change.hall_id);
  if (!hall) {
    if (!last_error_) record(errc::not_found, "no such hall");
    return failed();
  }
  if (!change.webhook_id.empty()) {
    auto st = prepare(sql_insert_webhook);
    if (!st) return failed();
    st.bind(change.webhook_id).bind(change.hall_id).bind(now_ms());
    if (st.step() != SQLITE_DONE) {
      record("record webhook id");
      return failed();
    }
    if (sqlite3_changes(db_.get()) == 0) {
      // Seen before: this delivery is a replay and must change nothing.
      if (!release_savepoint()) return R::fail(last_error_.code, last_error_.message);
      return R::ok(false);
    }
  }
  if (change.grant) {
    auto& g = *change.grant;
    auto st = prepare(sql_upsert_grant);
    if (!st) return failed();
    st.bind(g.hall_id).bind(g.participant_id).bind(g.display_name).bind(g.role).bind(g.granted_at);
    if (st.step() != SQLITE_DONE) {
      record("write hall grant");
      return failed();
    }
  }
  for (auto& s : change.sessions)
    if (!write_hall_session(*hall, s)) return failed();
  if (change.closed_at) {
    auto st = prepare(sql_close_hall);
    if (!st) return failed();
    st.bind(*change.closed_at).bind(change.hall_id);
    if (st.step() != SQLITE_DONE) {
      record("close hall");
      return failed();
    }
  }
  if (!release_savepoint()) return R::fail(last_error_.code, last_error_.message);
  return R::ok(true);
}

std::int64_t sqlite_store::hall_usage_minutes(const std::string& workspace_id, bool test_mode,
                                              const std::string& period) {
  last_error_ = {};
  auto st = prepare(sql_usage);
  if (!st) return 0;
  st.bind(workspace_id).bind(std::int64_t{test_mode}).bind(period);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return st.int64(0);
  if (rc != SQLITE_DONE) record("read hall usage");
  return 0;
}

}  // namespace relay::storage
