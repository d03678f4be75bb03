// The incoming webhooks area on SQLite: a hook and its bot user are created together;
// revoking keeps the row (and the user its messages name) and only stamps revoked_at.

#include "storage/sqlite/incoming_hooks.hpp"

#include <sqlite3.h>

#include "core/clock.hpp"

namespace relay::storage::sqlite {

namespace {

const std::string hook_select =
    "SELECT h.id, h.room_id, COALESCE(r.slug, ''), h.channel_id, h.name, h.creator_id,"
    " h.user_id, h.github_secret, h.created_at, h.revoked_at FROM incoming_webhooks h"
    " LEFT JOIN rooms r ON r.id = h.room_id ";
const std::string sql_by_id = hook_select + "WHERE h.id = ?";
const std::string sql_by_hash = hook_select + "WHERE h.secret_hash = ? AND h.revoked_at IS NULL";
const std::string sql_list =
    hook_select + "WHERE h.room_id = ? AND h.revoked_at IS NULL ORDER BY h.created_at, h.id";
// A bot user's login is unique without case, as every login is (rooms.cpp's bots).
const std::string sql_insert_user =
    "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
    " SELECT ?1, ?2, ?3, '', '', NULL, ?4"
    " WHERE NOT EXISTS (SELECT 1 FROM users WHERE login = ?2 COLLATE NOCASE)";
const std::string sql_insert_hook =
    "INSERT INTO incoming_webhooks (id, room_id, channel_id, name, creator_id, user_id,"
    " secret_hash, github_secret, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)";
const std::string sql_revoke =
    "UPDATE incoming_webhooks SET revoked_at = ? WHERE id = ? AND room_id = ?"
    " AND revoked_at IS NULL";

incoming_hook_row read_hook(statement& st) {
  incoming_hook_row h;
  h.id = st.text(0);
  h.room_id = st.text(1);
  h.room_slug = st.text(2);
  h.channel_id = st.text(3);
  h.name = st.text(4);
  h.creator_id = st.text(5);
  h.user_id = st.text(6);
  h.github_secret = st.text(7);
  h.created_at = st.int64(8);
  h.revoked_at = st.opt_int64(9);
  return h;
}

}  // namespace

expected<incoming_hook_row> incoming_hooks::find_by_id(const std::string& id) {
  auto st = db_.prepare(sql_by_id);
  if (!st) return db_.failure("find incoming webhook");
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_hook(st);
  if (rc != SQLITE_DONE) return db_.failure("find incoming webhook");
  return make_error(errc::not_found, "no such incoming webhook");
}

expected<incoming_hook_row> incoming_hooks::create_incoming_hook(const incoming_hook_row& row,
                                                                 const std::string& bot_login,
                                                                 const std::string& secret_hash) {
  savepoint sp{db_};
  if (!sp) return sp.error();
  {
    auto st = db_.prepare(sql_insert_user);
    if (!st) return db_.failure("create webhook user");
    st.bind(row.user_id).bind(bot_login).bind(row.name).bind(row.created_at);
    const int rc = st.step();
    if (is_constraint(rc) || (rc == SQLITE_DONE && db_.changes() == 0))
      return make_error(errc::conflict, "login " + bot_login + " is taken");
    if (rc != SQLITE_DONE) return db_.failure("create webhook user");
  }
  {
    auto st = db_.prepare(sql_insert_hook);
    if (!st) return db_.failure("create incoming webhook");
    st.bind(row.id)
        .bind(row.room_id)
        .bind(row.channel_id)
        .bind(row.name)
        .bind(row.creator_id)
        .bind(row.user_id)
        .bind(secret_hash)
        .bind(row.github_secret)
        .bind(row.created_at);
    const int rc = st.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return make_error(errc::not_found, "no such room");
    if (is_constraint(rc)) return make_error(errc::conflict, "incoming webhook exists");
    if (rc != SQLITE_DONE) return db_.failure("create incoming webhook");
  }
  auto out = find_by_id(row.id);
  if (!out) return out;
  if (auto r = sp.release(); !r) return r.error();
  return out;
}

expected<std::vector<incoming_hook_row>> incoming_hooks::list_incoming_hooks(
    const std::string& room_id) {
  auto st = db_.prepare(sql_list);
  if (!st) return db_.failure("list incoming webhooks");
  st.bind(room_id);
  std::vector<incoming_hook_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_hook(st));
  if (rc != SQLITE_DONE) return db_.failure("list incoming webhooks");
  return out;
}

expected<incoming_hook_row> incoming_hooks::revoke_incoming_hook(const std::string& room_id,
                                                                 const std::string& id) {
  {
    auto st = db_.prepare(sql_revoke);
    if (!st) return db_.failure("revoke incoming webhook");
    st.bind(now_ms()).bind(id).bind(room_id);
    if (st.step() != SQLITE_DONE) return db_.failure("revoke incoming webhook");
  }
  if (db_.changes() == 0) return make_error(errc::not_found, "no such incoming webhook");
  return find_by_id(id);
}

expected<incoming_hook_row> incoming_hooks::find_incoming_hook(const std::string& secret_hash) {
  auto st = db_.prepare(sql_by_hash);
  if (!st) return db_.failure("find incoming webhook");
  st.bind(secret_hash);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_hook(st);
  if (rc != SQLITE_DONE) return db_.failure("find incoming webhook");
  return make_error(errc::not_found, "no such incoming webhook");
}

}  // namespace relay::storage::sqlite
