// The halls area on Postgres: workspaces and keys, halls, grants, sessions, the
// participant-minute ledger and the applied LiveKit webhook ids. Mirrors
// storage/sqlite/halls.cpp statement for statement, and locks a hall's row for a change.

#include "storage/postgres/halls.hpp"

#include <optional>

#include "core/billing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace relay::storage::postgres {

namespace {

const std::string hall_cols =
    "id, workspace_id, test_mode, name, max_participants, status, created_at, closed_at";
const std::string session_cols =
    "id, hall_id, participant_id, display_name, role, joined_at, left_at, minutes";

/// A parameter that may be NULL: libpqxx 6.4 has no traits for std::optional, and binds a
/// null `const char*` as NULL. Pass `nullable{x}.get()` inside the call that uses it.
class nullable {
 public:
  explicit nullable(std::optional<std::int64_t> v) {
    if (v) text_ = std::to_string(*v);
  }
  const char* get() const { return text_ ? text_->c_str() : nullptr; }

 private:
  std::optional<std::string> text_;
};

std::optional<std::int64_t> opt_int64(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::int64_t>();
}

hall_row read_hall(const pqxx::row& r) {
  hall_row h;
  h.id = r[0].as<std::string>();
  h.workspace_id = r[1].as<std::string>();
  h.test_mode = r[2].as<bool>();
  h.name = r[3].as<std::string>();
  h.max_participants = opt_int64(r[4]);
  h.status = r[5].as<std::string>();
  h.created_at = r[6].as<std::int64_t>();
  h.closed_at = opt_int64(r[7]);
  return h;
}

}  // namespace

halls::halls(connection& c) : c_{c} {
  c_.prepare("halls.insert_workspace",
             "INSERT INTO hall_workspaces (id, plan, created_at) VALUES ($1, $2, $3)");
  c_.prepare("halls.insert_key",
             "INSERT INTO hall_keys (id, workspace_id, key_hash, test_mode, created_at)"
             " VALUES ($1, $2, $3, $4, $5)");
  c_.prepare("halls.find_key",
             "SELECT k.id, k.workspace_id, w.plan, k.test_mode, k.created_at FROM hall_keys k"
             " JOIN hall_workspaces w ON w.id = k.workspace_id WHERE k.key_hash = $1");
  c_.prepare("halls.insert",
             "INSERT INTO halls (" + hall_cols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
  c_.prepare("halls.find", "SELECT " + hall_cols + " FROM halls WHERE id = $1");
  // Taken for the rest of the change: another node's change of this hall (a redelivered
  // webhook, a leave racing its join) waits, then sees what this one wrote.
  c_.prepare("halls.lock", "SELECT " + hall_cols + " FROM halls WHERE id = $1 FOR UPDATE");
  c_.prepare("halls.close",
             "UPDATE halls SET status = 'closed', closed_at = $1 WHERE id = $2 AND"
             " status = 'open'");
  c_.prepare("halls.grants",
             "SELECT hall_id, participant_id, display_name, role, granted_at FROM hall_grants"
             " WHERE hall_id = $1 ORDER BY granted_at, participant_id");
  c_.prepare("halls.upsert_grant",
             "INSERT INTO hall_grants (hall_id, participant_id, display_name, role, granted_at)"
             " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hall_id, participant_id) DO UPDATE SET"
             " display_name = excluded.display_name, role = excluded.role,"
             " granted_at = excluded.granted_at");
  c_.prepare("halls.sessions", "SELECT " + session_cols +
                                   " FROM hall_sessions WHERE hall_id = $1"
                                   " ORDER BY COALESCE(joined_at, left_at), id");
  c_.prepare("halls.session_billed",
             "SELECT billed_period, minutes FROM hall_sessions WHERE id = $1");
  c_.prepare("halls.upsert_session",
             "INSERT INTO hall_sessions (" + session_cols +
                 ", billed_period) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                 " ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,"
                 " role = excluded.role, joined_at = excluded.joined_at,"
                 " left_at = excluded.left_at, minutes = excluded.minutes,"
                 " billed_period = COALESCE(excluded.billed_period, hall_sessions.billed_period)");
  c_.prepare("halls.add_usage",
             "INSERT INTO hall_usage (workspace_id, test_mode, period, minutes)"
             " VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, test_mode, period) DO UPDATE"
             " SET minutes = hall_usage.minutes + excluded.minutes");
  c_.prepare("halls.usage",
             "SELECT minutes FROM hall_usage WHERE workspace_id = $1 AND test_mode = $2 AND"
             " period = $3");
  c_.prepare("halls.insert_webhook",
             "INSERT INTO livekit_webhooks (id, hall_id, applied_at) VALUES ($1, $2, $3)"
             " ON CONFLICT (id) DO NOTHING");
}

// -- workspaces and keys --------------------------------------------------------------

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
  return c_.run("create hall key", [&](pqxx::transaction_base& t) -> expected<hall_key_row> {
    t.exec_prepared0("halls.insert_workspace", k.workspace_id, k.plan, k.created_at);
    try {
      t.exec_prepared0("halls.insert_key", k.key_id, k.workspace_id, key_hash, test_mode,
                       k.created_at);
    } catch (const pqxx::unique_violation&) {
      return make_error(errc::conflict, "this key hash is already in use");
    }
    return k;
  });
}

expected<hall_key_row> halls::find_hall_key(const std::string& key_hash) {
  return c_.run("find hall key", [&](pqxx::transaction_base& t) -> expected<hall_key_row> {
    auto res = t.exec_prepared("halls.find_key", key_hash);
    if (res.empty()) return make_error(errc::not_found, "no such hall key");
    hall_key_row k;
    k.key_id = res[0][0].as<std::string>();
    k.workspace_id = res[0][1].as<std::string>();
    k.plan = res[0][2].as<std::string>();
    k.test_mode = res[0][3].as<bool>();
    k.created_at = res[0][4].as<std::int64_t>();
    return k;
  });
}

// -- halls ----------------------------------------------------------------------------

expected<hall_row> halls::create_hall(const hall_row& row) {
  if (row.id.empty() || row.workspace_id.empty())
    return make_error(errc::missing_field, "hall id and workspace are required");
  hall_row h = row;
  if (h.created_at == 0) h.created_at = now_ms();
  return c_.run("create hall", [&](pqxx::transaction_base& t) -> expected<hall_row> {
    try {
      t.exec_prepared0("halls.insert", h.id, h.workspace_id, h.test_mode, h.name,
                       nullable{h.max_participants}.get(), h.status, h.created_at,
                       nullable{h.closed_at}.get());
    } catch (const pqxx::integrity_constraint_violation&) {
      // As SQLite answers any constraint here: a taken id or an unknown workspace.
      return make_error(errc::conflict, "hall id is taken or its workspace does not exist");
    }
    return h;
  });
}

expected<hall_snapshot> halls::load_hall(const std::string& hall_id) {
  return c_.run("load hall", [&](pqxx::transaction_base& t) -> expected<hall_snapshot> {
    auto found = t.exec_prepared("halls.find", hall_id);
    if (found.empty()) return make_error(errc::not_found, "no such hall");
    hall_snapshot snap;
    snap.hall = read_hall(found[0]);
    for (const auto& r : t.exec_prepared("halls.grants", hall_id)) {
      auto role = parse_hall_role(r[3].as<std::string>());
      if (!role)
        return c_.fail(errc::internal, "a grant of hall " + hall_id + " has an unknown role");
      snap.grants.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                             *role, r[4].as<std::int64_t>()});
    }
    for (const auto& r : t.exec_prepared("halls.sessions", hall_id)) {
      const auto id = r[0].as<std::string>();
      auto role = parse_hall_role(r[4].as<std::string>());
      if (!role) return c_.fail(errc::internal, "session " + id + " has an unknown role");
      snap.sessions.push_back({id, r[1].as<std::string>(), r[2].as<std::string>(),
                               r[3].as<std::string>(), *role, opt_int64(r[5]), opt_int64(r[6]),
                               r[7].as<std::int64_t>()});
    }
    return snap;
  });
}

expected<void> halls::write_hall_session(pqxx::transaction_base& t, const hall_row& hall,
                                         const hall_session_row& s) {
  const bool complete = s.joined_at && s.left_at;
  // What the ledger holds for this session already: its period and minutes.
  std::string billed_period;
  std::int64_t billed_minutes = 0;
  if (auto res = t.exec_prepared("halls.session_billed", s.id);
      !res.empty() && !res[0][0].is_null()) {
    billed_period = res[0][0].as<std::string>();
    billed_minutes = res[0][1].as<std::int64_t>();
  }
  const std::string period = complete ? billing::period_of(*s.left_at) : "";
  try {
    t.exec_prepared0("halls.upsert_session", s.id, s.hall_id, s.participant_id, s.display_name,
                     std::string{to_string(s.role)}, nullable{s.joined_at}.get(),
                     nullable{s.left_at}.get(), s.minutes,
                     period.empty() ? nullptr : period.c_str());
  } catch (const pqxx::unique_violation&) {
    // The id is the upsert's own conflict: this is hall_sessions_one_open.
    return make_error(errc::conflict,
                      "participant " + s.participant_id + " already has an open session");
  } catch (const pqxx::foreign_key_violation&) {
    return make_error(errc::conflict, "session " + s.id + " names no hall that exists");
  }
  // The ledger counts a session once: when it first becomes complete, and again only
  // as a correction when LiveKit's times change it (a leave that arrives after a close
  // ended the stay). Rewriting it unchanged (a replay, a recovered actor) adds nothing.
  if (!complete) return {};
  if (!billed_period.empty() && billed_period == period && billed_minutes == s.minutes) return {};
  if (!billed_period.empty())
    t.exec_prepared0("halls.add_usage", hall.workspace_id, hall.test_mode, billed_period,
                     -billed_minutes);
  t.exec_prepared0("halls.add_usage", hall.workspace_id, hall.test_mode, period, s.minutes);
  return {};
}

expected<bool> halls::apply_hall_change(const hall_change& change) {
  return c_.run("apply hall change", [&](pqxx::transaction_base& t) -> expected<bool> {
    auto locked = t.exec_prepared("halls.lock", change.hall_id);
    if (locked.empty()) return make_error(errc::not_found, "no such hall");
    const hall_row hall = read_hall(locked[0]);
    if (!change.webhook_id.empty()) {
      auto res =
          t.exec_prepared("halls.insert_webhook", change.webhook_id, change.hall_id, now_ms());
      // Seen before (here or on another node): this delivery is a replay and must change
      // nothing.
      if (res.affected_rows() == 0) return false;
    }
    if (change.grant) {
      const auto& g = *change.grant;
      t.exec_prepared0("halls.upsert_grant", g.hall_id, g.participant_id, g.display_name,
                       std::string{to_string(g.role)}, g.granted_at);
    }
    for (const auto& s : change.sessions)
      if (auto r = write_hall_session(t, hall, s); !r) return r.error();
    if (change.closed_at) t.exec_prepared0("halls.close", *change.closed_at, change.hall_id);
    return true;
  });
}

// -- the ledger -------------------------------------------------------------------------

expected<std::int64_t> halls::hall_usage_minutes(const std::string& workspace_id, bool test_mode,
                                                 const std::string& period) {
  return c_.run("read hall usage", [&](pqxx::transaction_base& t) -> expected<std::int64_t> {
    auto res = t.exec_prepared("halls.usage", workspace_id, test_mode, period);
    if (res.empty()) return std::int64_t{0};
    return res[0][0].as<std::int64_t>();
  });
}

}  // namespace relay::storage::postgres
