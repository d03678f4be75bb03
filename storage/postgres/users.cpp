// The users area on Postgres: users (by login, id, OAuth provider id), API tokens and
// browser sessions (stored as hashes only), and notifications. Mirrors
// storage/sqlite/users.cpp statement for statement.

#include "storage/postgres/users.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"

namespace relay::storage::postgres {

namespace {

std::string ascii_lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// `$n COLLATE "C"`: lower() folds only A-Z under "C", as NOCASE does, whatever the
// database's locale; the unique index users_login_nocase answers these.
const std::string by_login = "lower(u.login) = lower($1 COLLATE \"C\")";

const std::string notification_columns =
    "SELECT id, user_id, kind, room_id, ref_id, body, state, created_at, saved, visibility"
    " FROM notifications";

notification_row read_notification(const pqxx::row& r) {
  notification_row n;
  n.id = r[0].as<std::string>();
  n.user_id = r[1].as<std::string>();
  n.kind = r[2].as<std::string>();
  n.room_id = r[3].as<std::string>();
  n.ref_id = r[4].as<std::string>();
  n.body = r[5].as<std::string>();
  n.state = r[6].as<std::string>();
  n.saved = r[8].as<bool>();
  n.visibility = r[9].as<std::string>();
  n.created_at = r[7].as<std::int64_t>();
  return n;
}

expected<user_row> one_user(const pqxx::result& res) {
  if (res.empty()) return make_error(errc::not_found, "no such user");
  return read_user(res[0]);
}

}  // namespace

user_row read_user(const pqxx::row& r) {
  user_row u;
  u.id = r[0].as<std::string>();
  u.login = r[1].as<std::string>();
  u.name = r[2].as<std::string>();
  u.avatar_url = r[3].as<std::string>();
  u.email = r[4].as<std::string>();
  if (!r[5].is_null()) u.github_id = r[5].as<std::int64_t>();
  u.created_at = r[6].as<std::int64_t>();
  return u;
}

users::users(connection& c) : c_{c} {
  c_.prepare("users.insert",
             "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
             " VALUES ($1, $2, $3, $4, $5, $6, $7)");
  c_.prepare("users.by_login", std::string{user_cols} + "FROM users u WHERE " + by_login);
  c_.prepare("users.by_id", std::string{user_cols} + "FROM users u WHERE u.id = $1");
  c_.prepare("users.by_github_id", std::string{user_cols} + "FROM users u WHERE u.github_id = $1");
  // GitHub reports no email for accounts that hide it; keep the one we know then.
  c_.prepare("users.refresh",
             "UPDATE users SET name = $2, avatar_url = $3, email = COALESCE(NULLIF($4, ''), email)"
             " WHERE id = $1");
  c_.prepare("users.by_logins", std::string{user_cols} +
                                    "FROM users u WHERE lower(u.login) = ANY($1::text[])"
                                    " ORDER BY lower(u.login), u.id");
  c_.prepare("users.by_token", std::string{user_cols} +
                                   ", t.id FROM tokens t JOIN users u ON u.id = t.user_id"
                                   " WHERE t.hash = $1 AND t.revoked_at IS NULL AND"
                                   " (t.expires_at IS NULL OR t.expires_at > $2)");
  c_.prepare("users.insert_token",
             "INSERT INTO tokens (id, user_id, name, hash, created_at, revoked_at, kind,"
             " expires_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)");
  c_.prepare("users.list_tokens",
             "SELECT id, user_id, name, created_at, revoked_at, kind, expires_at FROM tokens"
             " WHERE user_id = $1 AND kind = 'api' ORDER BY created_at, id");
  c_.prepare("users.revoke_token",
             "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND"
             " revoked_at IS NULL");
  c_.prepare("users.insert_notification",
             "INSERT INTO notifications (id, user_id, kind, room_id, ref_id, body, state,"
             " created_at, saved, visibility) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  c_.prepare("users.insert_mention",
             "INSERT INTO notifications (id, user_id, kind, room_id, ref_id, body, state,"
             " created_at, saved, visibility) VALUES ($1, $2, 'mention', $3, $4, $5, $6, $7,"
             " $8, $9) ON CONFLICT (user_id, ref_id) WHERE kind = 'mention' DO NOTHING");
  c_.prepare("users.list_notifications", notification_columns +
                                             " WHERE user_id = $1 ORDER BY created_at DESC, id"
                                             " DESC LIMIT $2");
  // One statement for every page: an empty state list or cursor switches its test off.
  c_.prepare("users.page_notifications",
             notification_columns +
                 " WHERE user_id = $1 AND (cardinality($2::text[]) = 0 OR state = ANY($2::text[]))"
                 " AND (NOT $3 OR saved) AND ($5 = '' OR created_at < $4 OR (created_at = $4 AND"
                 " id < $5)) ORDER BY created_at DESC, id DESC LIMIT $6");
  c_.prepare("users.find_notification", notification_columns + " WHERE id = $1 AND user_id = $2");
  c_.prepare("users.room_owner", "SELECT owner_id FROM rooms WHERE id = $1");
  c_.prepare("users.update_notification",
             "UPDATE notifications SET state = $1, visibility = $2, saved = $3 WHERE id = $4 AND"
             " user_id = $5");
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
  return c_.run("create user", [&](pqxx::transaction_base& t) -> expected<user_row> {
    try {
      t.exec_prepared0("users.insert", u.id, u.login, u.name, "", u.email, nullptr, u.created_at);
    } catch (const pqxx::unique_violation&) {
      return make_error(errc::conflict, "login " + login + " is taken (logins ignore case)");
    }
    return u;
  });
}

expected<user_row> users::find_user_by_login(const std::string& login) {
  return c_.run("find user by login", [&](pqxx::transaction_base& t) {
    return one_user(t.exec_prepared("users.by_login", login));
  });
}

expected<user_row> users::find_user(const std::string& id) {
  return c_.run("find user", [&](pqxx::transaction_base& t) {
    return one_user(t.exec_prepared("users.by_id", id));
  });
}

expected<user_row> users::upsert_oauth_user(const oauth_profile& p) {
  if (p.github_id == 0 || p.login.empty())
    return make_error(errc::missing_field, "github_id and login are required");
  // The provider's word is not trusted: its login goes into URLs, mentions and logs.
  if (!valid_login(p.login))
    return make_error(errc::bad_request, "the provider's login is not " + std::string{login_rule});

  return c_.run("upsert oauth user", [&](pqxx::transaction_base& t) -> expected<user_row> {
    auto known = t.exec_prepared("users.by_github_id", p.github_id);
    if (!known.empty()) {
      // The login stays: it names the user in URLs, mentions and whitelists.
      const auto id = known[0][0].as<std::string>();
      t.exec_prepared0("users.refresh", id, p.name, p.avatar_url, p.email);
      auto fresh = t.exec_prepared("users.by_id", id);
      if (fresh.empty()) return c_.fail(errc::internal, "refreshed user not found");
      return read_user(fresh[0]);
    }
    user_row u;
    u.id = make_id("usr");
    u.login = p.login;
    u.name = p.name;
    u.avatar_url = p.avatar_url;
    u.email = p.email;
    u.github_id = p.github_id;
    u.created_at = now_ms();
    if (!t.exec_prepared("users.by_login", p.login).empty())
      u.login = login_with_suffix(p.login, std::to_string(p.github_id));
    try {
      t.exec_prepared0("users.insert", u.id, u.login, u.name, u.avatar_url, u.email, p.github_id,
                       u.created_at);
    } catch (const pqxx::unique_violation&) {
      return make_error(errc::conflict, "login " + u.login + " or github id " +
                                            std::to_string(p.github_id) + " is taken");
    }
    return u;
  });
}

expected<std::vector<user_row>> users::find_users_by_logins(
    const std::vector<std::string>& logins) {
  // One lower-cased copy of each login; "Alice" and "alice" ask for the same users. One
  // array parameter however long the list: Postgres has no limit to split under.
  std::vector<std::string> wanted;
  wanted.reserve(logins.size());
  for (const auto& l : logins)
    if (!l.empty()) wanted.push_back(ascii_lower(l));
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  if (wanted.empty()) return std::vector<user_row>{};
  return c_.run("find users by logins",
                [&](pqxx::transaction_base& t) -> expected<std::vector<user_row>> {
                  std::vector<user_row> out;
                  for (const auto& r : t.exec_prepared("users.by_logins", text_array(wanted)))
                    out.push_back(read_user(r));
                  return out;
                });
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
  return c_.run("create token", [&](pqxx::transaction_base& tx) -> expected<token_row> {
    const std::string kind_name{to_string(t.kind)};
    if (expires_at)
      tx.exec_prepared0("users.insert_token", t.id, t.user_id, t.name, token_hash, t.created_at,
                        kind_name, *expires_at);
    else
      tx.exec_prepared0("users.insert_token", t.id, t.user_id, t.name, token_hash, t.created_at,
                        kind_name, nullptr);
    return t;
  });
}

expected<user_row> users::find_user_by_token_hash(const std::string& token_hash) {
  auto c = find_credential(token_hash);
  if (!c) return c.error();
  return std::move(c->user);
}

expected<credential> users::find_credential(const std::string& token_hash) {
  return c_.run("find user by token", [&](pqxx::transaction_base& t) -> expected<credential> {
    auto res = t.exec_prepared("users.by_token", token_hash, now_ms());
    if (res.empty()) return make_error(errc::not_found, "no live token with this hash");
    return credential{read_user(res[0]), res[0][7].as<std::string>()};
  });
}

expected<std::vector<token_row>> users::list_tokens(const std::string& user_id) {
  return c_.run("list tokens", [&](pqxx::transaction_base& tx) -> expected<std::vector<token_row>> {
    std::vector<token_row> out;
    for (const auto& r : tx.exec_prepared("users.list_tokens", user_id)) {
      token_row t;
      t.id = r[0].as<std::string>();
      t.user_id = r[1].as<std::string>();
      t.name = r[2].as<std::string>();
      t.created_at = r[3].as<std::int64_t>();
      if (!r[4].is_null()) t.revoked_at = r[4].as<std::int64_t>();
      auto kind = parse_token_kind(r[5].as<std::string>());
      if (!kind) return c_.fail(errc::internal, "token " + t.id + " has an unknown kind");
      t.kind = *kind;
      if (!r[6].is_null()) t.expires_at = r[6].as<std::int64_t>();
      out.push_back(std::move(t));
    }
    return out;
  });
}

expected<void> users::revoke_token(const std::string& user_id, const std::string& token_id) {
  return c_.run("revoke token", [&](pqxx::transaction_base& t) -> expected<void> {
    auto res = t.exec_prepared("users.revoke_token", now_ms(), token_id, user_id);
    if (res.affected_rows() != 1) return make_error(errc::not_found, "no such token");
    return {};
  });
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
  return c_.run(
      "create notification", [&](pqxx::transaction_base& t) -> expected<notification_row> {
        try {
          t.exec_prepared0("users.insert_notification", n.id, n.user_id, n.kind, n.room_id,
                           n.ref_id, n.body, n.state, n.created_at, n.saved, n.visibility);
        } catch (const pqxx::foreign_key_violation&) {
          return make_error(errc::not_found, "user does not exist");
        }
        return n;
      });
}

expected<std::vector<notification_row>> users::list_notifications(const std::string& user_id,
                                                                  int limit) {
  if (limit <= 0) return std::vector<notification_row>{};
  return c_.run("list notifications",
                [&](pqxx::transaction_base& t) -> expected<std::vector<notification_row>> {
                  std::vector<notification_row> out;
                  for (const auto& r : t.exec_prepared("users.list_notifications", user_id,
                                                       std::min(limit, max_query_rows)))
                    out.push_back(read_notification(r));
                  return out;
                });
}

expected<std::optional<notification_row>> users::create_mention(const notification_row& row) {
  using R = expected<std::optional<notification_row>>;
  if (row.user_id.empty() || row.ref_id.empty())
    return make_error(errc::missing_field, "user_id and ref_id are required");
  notification_row n = row;
  n.kind = "mention";
  if (n.id.empty()) n.id = make_id("ntf");
  if (n.created_at == 0) n.created_at = now_ms();
  if (n.body.empty()) n.body = "{}";
  return c_.run("create mention", [&](pqxx::transaction_base& t) -> R {
    try {
      auto r = t.exec_prepared("users.insert_mention", n.id, n.user_id, n.room_id, n.ref_id, n.body,
                               n.state, n.created_at, n.saved, n.visibility);
      if (r.affected_rows() == 0) return std::optional<notification_row>{};
    } catch (const pqxx::foreign_key_violation&) {
      return make_error(errc::not_found, "user does not exist");
    }
    return std::optional<notification_row>{std::move(n)};
  });
}

expected<std::vector<notification_row>> users::page_notifications(const notification_query& q) {
  if (q.limit <= 0) return std::vector<notification_row>{};
  // libpqxx 6 has no array parameters: the states travel as one array literal. States
  // are checked words (a-z) by the callers, so no quoting is needed inside it.
  std::string states = "{";
  for (std::size_t i = 0; i < q.states.size(); ++i) states += (i ? "," : "") + q.states[i];
  states += "}";
  return c_.run("list notifications",
                [&](pqxx::transaction_base& t) -> expected<std::vector<notification_row>> {
                  std::vector<notification_row> out;
                  for (const auto& r :
                       t.exec_prepared("users.page_notifications", q.user_id, states, q.saved_only,
                                       q.before_at, q.before_id, std::min(q.limit, max_query_rows)))
                    out.push_back(read_notification(r));
                  return out;
                });
}

expected<notification_row> users::update_notification(const std::string& user_id,
                                                      const std::string& id,
                                                      const notification_change& change) {
  return c_.run(
      "update notification", [&](pqxx::transaction_base& t) -> expected<notification_row> {
        auto found = t.exec_prepared("users.find_notification", id, user_id);
        if (found.empty()) return make_error(errc::not_found, "no such notification");
        auto n = read_notification(found[0]);
        if (change.visibility) {
          auto owner = t.exec_prepared("users.room_owner", n.room_id);
          if (owner.empty() || owner[0][0].is_null() || owner[0][0].as<std::string>() != user_id)
            return make_error(errc::forbidden,
                              "only the owner of the room it is about sets visibility");
          n.visibility = *change.visibility;
        }
        if (change.state) n.state = *change.state;
        if (change.saved) n.saved = *change.saved;
        t.exec_prepared0("users.update_notification", n.state, n.visibility, n.saved, id, user_id);
        return n;
      });
}

}  // namespace relay::storage::postgres
