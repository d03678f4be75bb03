// The agent relay's area on SQLite: agents and apps registered by an operator, their
// token hashes, and which agents each app may address.

#include "storage/sqlite/agents.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string_view>

#include "core/clock.hpp"

namespace relay::storage::sqlite {

namespace {

const std::string agent_cols = "agent_id, name, description, created_at, last_seen, events_served";
const std::string sql_insert_agent =
    "INSERT INTO agents (" + agent_cols + ", token_hash) VALUES (?, ?, ?, ?, ?, ?, ?)";
const std::string sql_rotate_agent_token = "UPDATE agents SET token_hash = ? WHERE agent_id = ?";
const std::string sql_agent_by_token = "SELECT " + agent_cols + " FROM agents WHERE token_hash = ?";
const std::string sql_agent_by_id = "SELECT " + agent_cols + " FROM agents WHERE agent_id = ?";
const std::string sql_list_agents = "SELECT " + agent_cols + " FROM agents ORDER BY agent_id";
const std::string sql_touch_agent =
    "UPDATE agents SET last_seen = ?, events_served = events_served + ? WHERE agent_id = ?";

const std::string sql_insert_app =
    "INSERT INTO apps (app_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)";
// One statement per read, so an app and its allowlist come from the same snapshot; an
// app without entries yields one row with a NULL agent_id.
const std::string app_select =
    "SELECT a.app_id, a.name, a.created_at, l.agent_id FROM apps a"
    " LEFT JOIN app_allowlist l ON l.app_id = a.app_id ";
const std::string sql_app_by_token = app_select + "WHERE a.token_hash = ? ORDER BY l.agent_id";
const std::string sql_app_by_id = app_select + "WHERE a.app_id = ? ORDER BY l.agent_id";
const std::string sql_list_apps = app_select + "ORDER BY a.app_id, l.agent_id";
const std::string sql_app_exists = "SELECT 1 FROM apps WHERE app_id = ?";
const std::string sql_insert_allowlist =
    "INSERT INTO app_allowlist (app_id, agent_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
const std::string sql_clear_allowlist = "DELETE FROM app_allowlist WHERE app_id = ?";

agent_row read_agent(const statement& st) {
  agent_row a;
  a.agent_id = st.text(0);
  a.name = st.text(1);
  a.description = st.text(2);
  a.created_at = st.int64(3);
  a.last_seen = st.opt_int64(4);
  a.events_served = st.int64(5);
  return a;
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

}  // namespace

// -- agents -----------------------------------------------------------------------

expected<agent_row> agents::create_agent(const agent_row& row, const std::string& token_hash) {
  if (!valid_relay_id(row.agent_id))
    return make_error(errc::bad_request,
                      "agent id must be 1 to 64 characters of a-z A-Z 0-9 - _ ., not . or ..");
  if (token_hash.empty()) return make_error(errc::missing_field, "token hash is empty");
  agent_row a = row;
  if (a.created_at == 0) a.created_at = now_ms();
  auto st = db_.prepare(sql_insert_agent);
  if (!st) return db_.failure("create agent");
  st.bind(a.agent_id).bind(a.name).bind(a.description).bind(a.created_at);
  if (a.last_seen)
    st.bind(*a.last_seen);
  else
    st.bind_null();
  st.bind(a.events_served).bind(token_hash);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return a;
  if (!is_constraint(rc)) return db_.failure("create agent");
  // "UNIQUE constraint failed: agents.token_hash" names the column.
  if (db_.message().find("agents.token_hash") != std::string_view::npos)
    return make_error(errc::conflict, "this token hash is already in use");
  return make_error(errc::conflict, "agent id " + a.agent_id + " is taken");
}

expected<void> agents::rotate_agent_token(const std::string& agent_id,
                                          const std::string& token_hash) {
  if (token_hash.empty()) return make_error(errc::missing_field, "token hash is empty");
  auto st = db_.prepare(sql_rotate_agent_token);
  if (!st) return db_.failure("rotate agent token");
  st.bind(token_hash).bind(agent_id);
  const int rc = st.step();
  if (is_constraint(rc)) return make_error(errc::conflict, "this token hash is already in use");
  if (rc != SQLITE_DONE) return db_.failure("rotate agent token");
  if (db_.changes() != 1) return make_error(errc::not_found, "no such agent");
  return {};
}

expected<agent_row> agents::read_one_agent(const std::string& sql, const std::string& key,
                                           const char* what) {
  auto st = db_.prepare(sql);
  if (!st) return db_.failure(what);
  st.bind(key);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_agent(st);
  if (rc != SQLITE_DONE) return db_.failure(what);
  return make_error(errc::not_found, "no such agent");
}

expected<agent_row> agents::find_agent_by_token_hash(const std::string& token_hash) {
  return read_one_agent(sql_agent_by_token, token_hash, "find agent by token");
}

expected<agent_row> agents::find_agent(const std::string& agent_id) {
  return read_one_agent(sql_agent_by_id, agent_id, "find agent");
}

expected<std::vector<agent_row>> agents::list_agents() {
  std::vector<agent_row> out;
  auto st = db_.prepare(sql_list_agents);
  if (!st) return db_.failure("list agents");
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_agent(st));
  if (rc != SQLITE_DONE) return db_.failure("list agents");
  return out;
}

expected<void> agents::touch_agent(const std::string& agent_id, std::int64_t last_seen,
                                   std::int64_t served) {
  auto st = db_.prepare(sql_touch_agent);
  if (!st) return db_.failure("touch agent");
  st.bind(last_seen).bind(served).bind(agent_id);
  if (st.step() != SQLITE_DONE) return db_.failure("touch agent");
  if (db_.changes() == 0) return make_error(errc::not_found, "no such agent");
  return {};
}

// -- apps -------------------------------------------------------------------------

expected<std::vector<app_row>> agents::read_apps(statement& st, const char* what) {
  std::vector<app_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    std::string id = st.text(0);
    if (out.empty() || out.back().app_id != id) {
      app_row a;
      a.app_id = std::move(id);
      a.name = st.text(1);
      a.created_at = st.int64(2);
      out.push_back(std::move(a));
    }
    if (!st.is_null(3)) out.back().allowlist.push_back(st.text(3));
  }
  if (rc != SQLITE_DONE) return db_.failure(what);
  return out;
}

expected<app_row> agents::read_one_app(const std::string& sql, const std::string& key,
                                       const char* what) {
  auto st = db_.prepare(sql);
  if (!st) return db_.failure(what);
  st.bind(key);
  auto apps = read_apps(st, what);
  if (!apps) return apps.error();
  if (apps->empty()) return make_error(errc::not_found, "no such app");
  return std::move(apps->front());
}

expected<void> agents::insert_allowlist(const std::string& app_id,
                                        const std::vector<std::string>& agent_ids) {
  for (const auto& agent_id : agent_ids) {
    auto st = db_.prepare(sql_insert_allowlist);
    if (!st) return db_.failure("add allowlist entry");
    st.bind(app_id).bind(agent_id);
    const int rc = st.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      return make_error(errc::not_found, "agent " + agent_id + " does not exist");
    if (rc != SQLITE_DONE) return db_.failure("add allowlist entry");
  }
  return {};
}

expected<app_row> agents::create_app(const app_row& row, const std::string& token_hash) {
  if (!valid_relay_id(row.app_id))
    return make_error(errc::bad_request,
                      "app id must be 1 to 64 characters of a-z A-Z 0-9 - _ ., not . or ..");
  if (token_hash.empty()) return make_error(errc::missing_field, "token hash is empty");
  const std::int64_t created_at = row.created_at != 0 ? row.created_at : now_ms();

  savepoint sp{db_};
  if (!sp) return sp.error();
  {
    auto st = db_.prepare(sql_insert_app);
    if (!st) return db_.failure("create app");
    st.bind(row.app_id).bind(row.name).bind(token_hash).bind(created_at);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (!is_constraint(rc)) return db_.failure("create app");
      if (db_.message().find("apps.token_hash") != std::string_view::npos)
        return make_error(errc::conflict, "this token hash is already in use");
      return make_error(errc::conflict, "app id " + row.app_id + " is taken");
    }
  }
  if (auto r = insert_allowlist(row.app_id, row.allowlist); !r) return r.error();
  // Read back inside the savepoint: the allowlist comes out sorted and without duplicates.
  auto stored = read_one_app(sql_app_by_id, row.app_id, "find app");
  if (stored.not_found()) return db_.fail(errc::internal, "created app not found");
  if (!stored) return stored;
  if (auto r = sp.release(); !r) return r.error();
  return stored;
}

expected<app_row> agents::find_app_by_token_hash(const std::string& token_hash) {
  return read_one_app(sql_app_by_token, token_hash, "find app by token");
}

expected<app_row> agents::find_app(const std::string& app_id) {
  return read_one_app(sql_app_by_id, app_id, "find app");
}

expected<std::vector<app_row>> agents::list_apps() {
  auto st = db_.prepare(sql_list_apps);
  if (!st) return db_.failure("list apps");
  return read_apps(st, "list apps");
}

expected<app_row> agents::set_allowlist(const std::string& app_id,
                                        const std::vector<std::string>& agent_ids) {
  savepoint sp{db_};
  if (!sp) return sp.error();
  // The delete comes first: it is a write, so a standalone savepoint takes the write
  // lock before it reads whether the app exists.
  {
    auto st = db_.prepare(sql_clear_allowlist);
    if (!st) return db_.failure("clear allowlist");
    st.bind(app_id);
    if (st.step() != SQLITE_DONE) return db_.failure("clear allowlist");
  }
  {
    auto st = db_.prepare(sql_app_exists);
    if (!st) return db_.failure("find app");
    st.bind(app_id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such app");
    if (rc != SQLITE_ROW) return db_.failure("find app");
  }
  if (auto r = insert_allowlist(app_id, agent_ids); !r) return r.error();
  auto updated = read_one_app(sql_app_by_id, app_id, "find app");
  if (updated.not_found()) return db_.fail(errc::internal, "updated app not found");
  if (!updated) return updated;
  if (auto r = sp.release(); !r) return r.error();
  return updated;
}

}  // namespace relay::storage::sqlite
