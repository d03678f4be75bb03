// The users area on SQLite: users (by login, id, OAuth provider id), API tokens and
// browser sessions (stored as hashes only), and notifications.

#include "storage/sqlite/users.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <iterator>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"

namespace relay::storage::sqlite {

namespace {

const std::string sql_insert_user =
    "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
    " VALUES (?, ?, ?, '', ?, NULL, ?)";
// Logins are identities without case (core/login.hpp); the unique index on users.login
// COLLATE NOCASE answers this.
const std::string sql_user_by_login =
    std::string{user_cols} + "FROM users u WHERE u.login = ? COLLATE NOCASE";
const std::string sql_user_by_id = std::string{user_cols} + "FROM users u WHERE u.id = ?";
const std::string sql_user_by_github_id =
    std::string{user_cols} + "FROM users u WHERE u.github_id = ?";
const std::string sql_login_taken = "SELECT 1 FROM users WHERE login = ? COLLATE NOCASE LIMIT 1";
const std::string sql_insert_oauth_user =
    "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
// GitHub reports no email for accounts that hide it; keep the one we know then.
const std::string sql_refresh_oauth_user =
    "UPDATE users SET name = ?, avatar_url = ?, email = COALESCE(NULLIF(?, ''), email)"
    " WHERE id = ?";
const std::string sql_user_by_token = std::string{user_cols} +
                                      ", t.id FROM tokens t JOIN users u ON u.id = t.user_id WHERE "
                                      "t.hash = ? AND t.revoked_at IS NULL AND "
                                      "(t.expires_at IS NULL OR t.expires_at > ?)";

const std::string sql_insert_token =
    "INSERT INTO tokens (id, user_id, name, hash, created_at, revoked_at, kind, expires_at)"
    " VALUES (?, ?, ?, ?, ?, NULL, ?, ?)";
const std::string sql_list_tokens =
    "SELECT id, user_id, name, created_at, revoked_at, kind, expires_at FROM tokens"
    " WHERE user_id = ? AND kind = 'api' ORDER BY created_at, id";
const std::string sql_revoke_token =
    "UPDATE tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL";

const std::string sql_insert_notification =
    "INSERT INTO notifications (id, user_id, kind, room_id, ref_id, body, state, created_at,"
    " saved, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string sql_insert_mention =
    "INSERT OR IGNORE INTO notifications (id, user_id, kind, room_id, ref_id, body, state,"
    " created_at, saved, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string notification_columns =
    "SELECT id, user_id, kind, room_id, ref_id, body, state, created_at, saved, visibility"
    " FROM notifications";
const std::string sql_list_notifications =
    notification_columns + " WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?";
const std::string sql_find_notification = notification_columns + " WHERE id = ? AND user_id = ?";
const std::string sql_room_owner = "SELECT owner_id FROM rooms WHERE id = ?";
const std::string sql_update_notification =
    "UPDATE notifications SET state = ?, visibility = ?, saved = ? WHERE id = ? AND user_id = ?";

std::string ascii_lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

notification_row read_notification(const statement& st) {
  notification_row n;
  n.id = st.text(0);
  n.user_id = st.text(1);
  n.kind = st.text(2);
  n.room_id = st.text(3);
  n.ref_id = st.text(4);
  n.body = st.text(5);
  n.state = st.text(6);
  n.created_at = st.int64(7);
  n.saved = st.int64(8) != 0;
  n.visibility = st.text(9);
  return n;
}

}  // namespace

user_row read_user(const statement& st) {
  user_row u;
  u.id = st.text(0);
  u.login = st.text(1);
  u.name = st.text(2);
  u.avatar_url = st.text(3);
  u.email = st.text(4);
  u.github_id = st.opt_int64(5);
  u.created_at = st.int64(6);
  return u;
}

expected<std::vector<user_row>> read_users(database& db, statement& st, const char* what) {
  std::vector<user_row> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_user(st));
  if (rc != SQLITE_DONE) return db.failure(what);
  return out;
}

// -- users ------------------------------------------------------------------------

expected<user_row> users::create_user(const std::string& login, const std::string& name,
                                      const std::string& email) {
  if (!valid_login(login))
    return make_error(errc::bad_request, "a login is " + std::string{login_rule});
  user_row u;
  u.id = make_id("usr");
  u.login = login;
  u.name = name;
  u.email = email;
  u.created_at = now_ms();
  auto st = db_.prepare(sql_insert_user);
  if (!st) return db_.failure("prepare");
  st.bind(u.id).bind(u.login).bind(u.name).bind(u.email).bind(u.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return u;
  if (is_constraint(rc))
    return make_error(errc::conflict, "login " + login + " is taken (logins ignore case)");
  return db_.failure("create user");
}

expected<user_row> users::find_one(const std::string& sql, const char* what,
                                   const std::string* text_key, std::int64_t int_key) {
  auto st = db_.prepare(sql);
  if (!st) return db_.failure(what);
  if (text_key != nullptr)
    st.bind(*text_key);
  else
    st.bind(int_key);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_user(st);
  if (rc != SQLITE_DONE) return db_.failure(what);
  return make_error(errc::not_found, "no such user");
}

expected<user_row> users::find_user_by_login(const std::string& login) {
  return find_one(sql_user_by_login, "find user by login", &login);
}

expected<user_row> users::find_user(const std::string& id) {
  return find_one(sql_user_by_id, "find user", &id);
}

expected<user_row> users::upsert_oauth_user(const oauth_profile& p) {
  if (p.github_id == 0 || p.login.empty())
    return make_error(errc::missing_field, "github_id and login are required");
  // The provider's word is not trusted: its login goes into URLs, mentions and logs.
  if (!valid_login(p.login))
    return make_error(errc::bad_request, "the provider's login is not " + std::string{login_rule});

  auto known = find_one(sql_user_by_github_id, "find user by github id", nullptr, p.github_id);
  if (known) {
    // The login stays: it names the user in URLs, mentions and whitelists.
    {
      auto st = db_.prepare(sql_refresh_oauth_user);
      if (!st) return db_.failure("refresh user");
      st.bind(p.name).bind(p.avatar_url).bind(p.email).bind(known->id);
      if (st.step() != SQLITE_DONE) return db_.failure("refresh user");
    }
    auto fresh = find_user(known->id);
    if (fresh.not_found()) return db_.fail(errc::internal, "refreshed user not found");
    return fresh;
  }
  if (!known.not_found()) return known.error();

  user_row u;
  u.id = make_id("usr");
  u.login = p.login;
  u.name = p.name;
  u.avatar_url = p.avatar_url;
  u.email = p.email;
  u.github_id = p.github_id;
  u.created_at = now_ms();
  {
    auto st = db_.prepare(sql_login_taken);
    if (!st) return db_.failure("check login");
    st.bind(p.login);
    const int rc = st.step();
    if (rc == SQLITE_ROW)
      u.login = login_with_suffix(p.login, std::to_string(p.github_id));
    else if (rc != SQLITE_DONE)
      return db_.failure("check login");
  }
  auto st = db_.prepare(sql_insert_oauth_user);
  if (!st) return db_.failure("create oauth user");
  st.bind(u.id).bind(u.login).bind(u.name).bind(u.avatar_url).bind(u.email).bind(p.github_id);
  st.bind(u.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return u;
  if (is_constraint(rc))
    return make_error(errc::conflict, "login " + u.login + " or github id " +
                                          std::to_string(p.github_id) + " is taken");
  return db_.failure("create oauth user");
}

expected<std::vector<user_row>> users::find_users_by_logins(
    const std::vector<std::string>& logins) {
  // One lower-cased copy of each login; "Alice" and "alice" ask for the same users.
  std::vector<std::string> wanted;
  wanted.reserve(logins.size());
  for (const auto& l : logins)
    if (!l.empty()) wanted.push_back(ascii_lower(l));
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

  // Chunks keep each statement under SQLite's bound-parameter limit. The IN list varies
  // in length, so it is not cached.
  constexpr std::size_t chunk = 500;
  std::vector<user_row> out;
  for (std::size_t at = 0; at < wanted.size(); at += chunk) {
    const std::size_t n = std::min(chunk, wanted.size() - at);
    std::string sql = std::string{user_cols} + "FROM users u WHERE u.login COLLATE NOCASE IN (";
    for (std::size_t i = 0; i < n; ++i) sql += i == 0 ? "?" : ", ?";
    sql += ')';
    auto st = db_.prepare_uncached(sql);
    if (!st) return db_.failure("find users by logins");
    for (std::size_t i = 0; i < n; ++i) st.bind(wanted[at + i]);
    auto part = read_users(db_, st, "find users by logins");
    if (!part) return part.error();
    out.insert(out.end(), std::make_move_iterator(part->begin()),
               std::make_move_iterator(part->end()));
  }
  std::sort(out.begin(), out.end(), [](const user_row& a, const user_row& b) {
    const auto la = ascii_lower(a.login);
    const auto lb = ascii_lower(b.login);
    return la != lb ? la < lb : a.id < b.id;
  });
  return out;
}

// -- tokens and sessions ------------------------------------------------------------

expected<token_row> users::create_token(const std::string& user_id, const std::string& name,
                                        const std::string& token_hash, token_kind kind,
                                        std::optional<std::int64_t> expires_at) {
  token_row t;
  t.id = make_id("tok");
  t.user_id = user_id;
  t.name = name;
  t.created_at = now_ms();
  t.kind = kind;
  t.expires_at = expires_at;
  auto st = db_.prepare(sql_insert_token);
  if (!st) return db_.failure("create token");
  st.bind(t.id)
      .bind(t.user_id)
      .bind(t.name)
      .bind(token_hash)
      .bind(t.created_at)
      .bind(to_string(t.kind));
  if (expires_at)
    st.bind(*expires_at);
  else
    st.bind_null();
  if (st.step() != SQLITE_DONE) return db_.failure("create token");
  return t;
}

expected<user_row> users::find_user_by_token_hash(const std::string& token_hash) {
  auto c = find_credential(token_hash);
  if (!c) return c.error();
  return std::move(c->user);
}

expected<credential> users::find_credential(const std::string& token_hash) {
  auto st = db_.prepare(sql_user_by_token);
  if (!st) return db_.failure("find user by token");
  st.bind(token_hash).bind(now_ms());
  const int rc = st.step();
  if (rc == SQLITE_ROW) return credential{read_user(st), st.text(7)};
  if (rc != SQLITE_DONE) return db_.failure("find user by token");
  return make_error(errc::not_found, "no live token with this hash");
}

expected<std::vector<token_row>> users::list_tokens(const std::string& user_id) {
  std::vector<token_row> out;
  auto st = db_.prepare(sql_list_tokens);
  if (!st) return db_.failure("list tokens");
  st.bind(user_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    token_row t;
    t.id = st.text(0);
    t.user_id = st.text(1);
    t.name = st.text(2);
    t.created_at = st.int64(3);
    t.revoked_at = st.opt_int64(4);
    auto kind = parse_token_kind(st.text(5));
    if (!kind) return db_.fail(errc::internal, "token " + t.id + " has an unknown kind");
    t.kind = *kind;
    t.expires_at = st.opt_int64(6);
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) return db_.failure("list tokens");
  return out;
}

expected<void> users::revoke_token(const std::string& user_id, const std::string& token_id) {
  auto st = db_.prepare(sql_revoke_token);
  if (!st) return db_.failure("revoke token");
  st.bind(now_ms()).bind(token_id).bind(user_id);
  if (st.step() != SQLITE_DONE) return db_.failure("revoke token");
  if (db_.changes() != 1) return make_error(errc::not_found, "no such token");
  return {};
}

// -- notifications --------------------------------------------------------------------

expected<notification_row> users::create_notification(const notification_row& row) {
  if (row.user_id.empty() || row.kind.empty())
    return make_error(errc::missing_field, "user_id and kind are required");
  notification_row n = row;
  if (n.id.empty()) n.id = make_id("ntf");
  if (n.created_at == 0) n.created_at = now_ms();
  if (n.state.empty()) n.state = "unread";
  if (n.body.empty()) n.body = "{}";
  auto st = db_.prepare(sql_insert_notification);
  if (!st) return db_.failure("create notification");
  st.bind(n.id).bind(n.user_id).bind(n.kind).bind(n.room_id).bind(n.ref_id).bind(n.body);
  st.bind(n.state).bind(n.created_at).bind(std::int64_t{n.saved ? 1 : 0}).bind(n.visibility);
  const int rc = st.step();
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return make_error(errc::not_found, "user does not exist");
  if (rc != SQLITE_DONE) return db_.failure("create notification");
  return n;
}

expected<std::vector<notification_row>> users::list_notifications(const std::string& user_id,
                                                                  int limit) {
  std::vector<notification_row> out;
  if (limit <= 0) return out;
  auto st = db_.prepare(sql_list_notifications);
  if (!st) return db_.failure("list notifications");
  st.bind(user_id).bind(static_cast<std::int64_t>(std::min(limit, max_query_rows)));
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_notification(st));
  if (rc != SQLITE_DONE) return db_.failure("list notifications");
  return out;
}

expected<std::optional<notification_row>> users::create_mention(const notification_row& row) {
  if (row.user_id.empty() || row.ref_id.empty())
    return make_error(errc::missing_field, "user_id and ref_id are required");
  notification_row n = row;
  n.kind = "mention";
  if (n.id.empty()) n.id = make_id("ntf");
  if (n.created_at == 0) n.created_at = now_ms();
  if (n.body.empty()) n.body = "{}";
  // OR IGNORE passes over the one-mention index only; a foreign key still fails.
  auto st = db_.prepare(sql_insert_mention);
  if (!st) return db_.failure("create mention");
  st.bind(n.id).bind(n.user_id).bind(n.kind).bind(n.room_id).bind(n.ref_id).bind(n.body);
  st.bind(n.state).bind(n.created_at).bind(std::int64_t{n.saved ? 1 : 0}).bind(n.visibility);
  const int rc = st.step();
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return make_error(errc::not_found, "user does not exist");
  if (rc != SQLITE_DONE) return db_.failure("create mention");
  if (db_.changes() == 0) return std::optional<notification_row>{};
  return std::optional<notification_row>{std::move(n)};
}

expected<std::vector<notification_row>> users::page_notifications(const notification_query& q) {
  std::vector<notification_row> out;
  if (q.limit <= 0) return out;
  // A few shapes of one query (how many states, a cursor or not), each cached once.
  std::string sql = notification_columns + " WHERE user_id = ?";
  if (!q.states.empty()) {
    sql += " AND state IN (?";
    for (std::size_t i = 1; i < q.states.size(); ++i) sql += ", ?";
    sql += ")";
  }
  if (q.saved_only) sql += " AND saved = 1";
  if (!q.before_id.empty()) sql += " AND (created_at < ? OR (created_at = ? AND id < ?))";
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
  auto st = db_.prepare(sql);
  if (!st) return db_.failure("list notifications");
  st.bind(q.user_id);
  for (auto& s : q.states) st.bind(s);
  if (!q.before_id.empty()) st.bind(q.before_at).bind(q.before_at).bind(q.before_id);
  st.bind(static_cast<std::int64_t>(std::min(q.limit, max_query_rows)));
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_notification(st));
  if (rc != SQLITE_DONE) return db_.failure("list notifications");
  return out;
}

expected<notification_row> users::update_notification(const std::string& user_id,
                                                      const std::string& id,
                                                      const notification_change& change) {
  notification_row n;
  {
    auto st = db_.prepare(sql_find_notification);
    if (!st) return db_.failure("find notification");
    st.bind(id).bind(user_id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such notification");
    if (rc != SQLITE_ROW) return db_.failure("find notification");
    n = read_notification(st);
  }
  if (change.visibility) {
    auto st = db_.prepare(sql_room_owner);
    if (!st) return db_.failure("find notification");
    st.bind(n.room_id);
    const int rc = st.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.failure("find notification");
    if (rc == SQLITE_DONE || st.is_null(0) || st.text(0) != user_id)
      return make_error(errc::forbidden, "only the owner of the room it is about sets visibility");
    n.visibility = *change.visibility;
  }
  if (change.state) n.state = *change.state;
  if (change.saved) n.saved = *change.saved;
  auto st = db_.prepare(sql_update_notification);
  if (!st) return db_.failure("update notification");
  st.bind(n.state).bind(n.visibility).bind(std::int64_t{n.saved ? 1 : 0}).bind(id).bind(user_id);
  if (st.step() != SQLITE_DONE) return db_.failure("update notification");
  return n;
}

}  // namespace relay::storage::sqlite
