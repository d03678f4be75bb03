// The agent relay's area on Postgres: agents and apps registered by an operator, their
// token hashes, and which agents each app may address. Mirrors storage/sqlite/agents.cpp.

#include "storage/postgres/agents.hpp"

#include <algorithm>
#include <string_view>

#include "core/clock.hpp"

namespace relay::storage::postgres {

namespace {

const std::string agent_cols = "agent_id, name, description, created_at, last_seen, events_served";
// One statement per read, so an app and its allowlist come from the same snapshot; an
// app without entries yields one row with a NULL agent_id.
const std::string app_select =
    "SELECT a.app_id, a.name, a.created_at, l.agent_id FROM apps a"
    " LEFT JOIN app_allowlist l ON l.app_id = a.app_id ";

agent_row read_agent(const pqxx::row& r) {
  agent_row a;
  a.agent_id = r[0].as<std::string>();
  a.name = r[1].as<std::string>();
  a.description = r[2].as<std::string>();
  a.created_at = r[3].as<std::int64_t>();
  if (!r[4].is_null()) a.last_seen = r[4].as<std::int64_t>();
  a.events_served = r[5].as<std::int64_t>();
  return a;
}

std::vector<app_row> read_apps(const pqxx::result& res) {
  std::vector<app_row> out;
  for (const auto& r : res) {
    auto id = r[0].as<std::string>();
    if (out.empty() || out.back().app_id != id) {
      app_row a;
      a.app_id = std::move(id);
      a.name = r[1].as<std::string>();
      a.created_at = r[2].as<std::int64_t>();
      out.push_back(std::move(a));
    }
    if (!r[3].is_null()) out.back().allowlist.push_back(r[3].as<std::string>());
  }
  return out;
}

/// Agent and app ids: 1..64 of a-z A-Z 0-9 - _ . but not `.` or `..`, which no client
/// can put in a URL path (`/v1/apps/../allowlist` is resolved before it is sent).
bool valid_relay_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id == "." || id == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// Postgres names the violated constraint in the message ("agents_token_hash_key").
bool names(const pqxx::sql_error& e, std::string_view constraint) {
  return std::string_view{e.what()}.find(constraint) != std::string_view::npos;
}

// Adds the allowlist entries; `not_found` (the caller's savepoint undoes the rest) when an
// agent does not exist.
expected<void> insert_allowlist(pqxx::transaction_base& t, const std::string& app_id,
                                const std::vector<std::string>& agent_ids) {
  for (const auto& agent_id : agent_ids) {
    try {
      t.exec_prepared0("agents.insert_allowlist", app_id, agent_id);
    } catch (const pqxx::foreign_key_violation&) {
      return make_error(errc::not_found, "agent " + agent_id + " does not exist");
    }
  }
  return {};
}

}  // namespace

agents::agents(connection& c) : c_{c} {
  c_.prepare("agents.insert", "INSERT INTO agents (" + agent_cols +
                                  ", token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)");
  c_.prepare("agents.rotate_token", "UPDATE agents SET token_hash = $1 WHERE agent_id = $2");
  c_.prepare("agents.by_token", "SELECT " + agent_cols + " FROM agents WHERE token_hash = $1");
  c_.prepare("agents.by_id", "SELECT " + agent_cols + " FROM agents WHERE agent_id = $1");
  c_.prepare("agents.list", "SELECT " + agent_cols + " FROM agents ORDER BY agent_id");
  c_.prepare("agents.touch",
             "UPDATE agents SET last_seen = $1, events_served = events_served + $2"
             " WHERE agent_id = $3");
  c_.prepare("agents.insert_app",
             "INSERT INTO apps (app_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)");
  c_.prepare("agents.app_by_token", app_select + "WHERE a.token_hash = $1 ORDER BY l.agent_id");
  c_.prepare("agents.app_by_id", app_select + "WHERE a.app_id = $1 ORDER BY l.agent_id");
  c_.prepare("agents.list_apps", app_select + "ORDER BY a.app_id, l.agent_id");
  // FOR UPDATE: two nodes replacing one allowlist take turns instead of merging theirs.
  c_.prepare("agents.lock_app", "SELECT 1 FROM apps WHERE app_id = $1 FOR UPDATE");
  c_.prepare("agents.insert_allowlist",
             "INSERT INTO app_allowlist (app_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING");
  c_.prepare("agents.clear_allowlist", "DELETE FROM app_allowlist WHERE app_id = $1");
}

// -- agents -----------------------------------------------------------------------

expected<agent_row> agents::create_agent(const agent_row& row, const std::string& token_hash) {
  if (!valid_relay_id(row.agent_id))
    return make_error(errc::bad_request,
                      "agent id must be 1 to 64 characters of a-z A-Z 0-9 - _ ., not . or ..");
  if (token_hash.empty()) return make_error(errc::missing_field, "token hash is empty");
  agent_row a = row;
  if (a.created_at == 0) a.created_at = now_ms();
  return c_.run("create agent", [&](pqxx::transaction_base& t) -> expected<agent_row> {
    try {
      if (a.last_seen)
        t.exec_prepared0("agents.insert", a.agent_id, a.name, a.description, a.created_at,
                         *a.last_seen, a.events_served, token_hash);
      else
        t.exec_prepared0("agents.insert", a.agent_id, a.name, a.description, a.created_at, nullptr,
                         a.events_served, token_hash);
    } catch (const pqxx::unique_violation& e) {
      if (names(e, "agents_token_hash_key"))
        return make_error(errc::conflict, "this token hash is already in use");
      return make_error(errc::conflict, "agent id " + a.agent_id + " is taken");
    }
    return a;
  });
}

expected<void> agents::rotate_agent_token(const std::string& agent_id,
                                          const std::string& token_hash) {
  if (token_hash.empty()) return make_error(errc::missing_field, "token hash is empty");
  return c_.run("rotate agent token", [&](pqxx::transaction_base& t) -> expected<void> {
    try {
      if (t.exec_prepared("agents.rotate_token", token_hash, agent_id).affected_rows() != 1)
        return make_error(errc::not_found, "no such agent");
    } catch (const pqxx::unique_violation&) {
      return make_error(errc::conflict, "this token hash is already in use");
    }
    return {};
  });
}

expected<agent_row> agents::one_agent(const char* statement, const std::string& key,
                                      const char* what) {
  return c_.run(what, [&](pqxx::transaction_base& t) -> expected<agent_row> {
    auto res = t.exec_prepared(statement, key);
    if (res.empty()) return make_error(errc::not_found, "no such agent");
    return read_agent(res[0]);
  });
}

expected<agent_row> agents::find_agent_by_token_hash(const std::string& token_hash) {
  return one_agent("agents.by_token", token_hash, "find agent by token");
}

expected<agent_row> agents::find_agent(const std::string& agent_id) {
  return one_agent("agents.by_id", agent_id, "find agent");
}

expected<std::vector<agent_row>> agents::list_agents() {
  return c_.run("list agents", [&](pqxx::transaction_base& t) -> expected<std::vector<agent_row>> {
    std::vector<agent_row> out;
    for (const auto& r : t.exec_prepared("agents.list")) out.push_back(read_agent(r));
    return out;
  });
}

expected<void> agents::touch_agent(const std::string& agent_id, std::int64_t last_seen,
                                   std::int64_t served) {
  return c_.run("touch agent", [&](pqxx::transaction_base& t) -> expected<void> {
    if (t.exec_prepared("agents.touch", last_seen, served, agent_id).affected_rows() == 0)
      return make_error(errc::not_found, "no such agent");
    return {};
  });
}

// -- apps -------------------------------------------------------------------------

expected<app_row> agents::one_app(const char* statement, const std::string& key, const char* what) {
  return c_.run(what, [&](pqxx::transaction_base& t) -> expected<app_row> {
    auto apps = read_apps(t.exec_prepared(statement, key));
    if (apps.empty()) return make_error(errc::not_found, "no such app");
    return std::move(apps.front());
  });
}

expected<app_row> agents::create_app(const app_row& row, const std::string& token_hash) {
  if (!valid_relay_id(row.app_id))
    return make_error(errc::bad_request,
                      "app id must be 1 to 64 characters of a-z A-Z 0-9 - _ ., not . or ..");
  if (token_hash.empty()) return make_error(errc::missing_field, "token hash is empty");
  const std::int64_t created_at = row.created_at != 0 ? row.created_at : now_ms();
  return c_.run("create app", [&](pqxx::transaction_base& t) -> expected<app_row> {
    try {
      t.exec_prepared0("agents.insert_app", row.app_id, row.name, token_hash, created_at);
    } catch (const pqxx::unique_violation& e) {
      if (names(e, "apps_token_hash_key"))
        return make_error(errc::conflict, "this token hash is already in use");
      return make_error(errc::conflict, "app id " + row.app_id + " is taken");
    }
    if (auto r = insert_allowlist(t, row.app_id, row.allowlist); !r) return r.error();
    // Read back in the same step: the allowlist comes out sorted and without duplicates.
    auto apps = read_apps(t.exec_prepared("agents.app_by_id", row.app_id));
    if (apps.empty()) return c_.fail(errc::internal, "created app not found");
    return std::move(apps.front());
  });
}

expected<app_row> agents::find_app_by_token_hash(const std::string& token_hash) {
  return one_app("agents.app_by_token", token_hash, "find app by token");
}

expected<app_row> agents::find_app(const std::string& app_id) {
  return one_app("agents.app_by_id", app_id, "find app");
}

expected<std::vector<app_row>> agents::list_apps() {
  return c_.run("list apps", [&](pqxx::transaction_base& t) -> expected<std::vector<app_row>> {
    return read_apps(t.exec_prepared("agents.list_apps"));
  });
}

expected<app_row> agents::set_allowlist(const std::string& app_id,
                                        const std::vector<std::string>& agent_ids) {
  return c_.run("set allowlist", [&](pqxx::transaction_base& t) -> expected<app_row> {
    if (t.exec_prepared("agents.lock_app", app_id).empty())
      return make_error(errc::not_found, "no such app");
    t.exec_prepared0("agents.clear_allowlist", app_id);
    if (auto r = insert_allowlist(t, app_id, agent_ids); !r) return r.error();
    auto apps = read_apps(t.exec_prepared("agents.app_by_id", app_id));
    if (apps.empty()) return c_.fail(errc::internal, "updated app not found");
    return std::move(apps.front());
  });
}

}  // namespace relay::storage::postgres
