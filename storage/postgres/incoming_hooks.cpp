// The incoming webhooks area on Postgres. Mirrors storage/sqlite/incoming_hooks.cpp.

#include "storage/postgres/incoming_hooks.hpp"

#include "core/clock.hpp"

namespace relay::storage::postgres {

namespace {

const std::string hook_select =
    "SELECT h.id, h.room_id, COALESCE(r.slug, ''), h.channel_id, h.name, h.creator_id,"
    " h.user_id, h.github_secret, h.created_at, h.revoked_at FROM incoming_webhooks h"
    " LEFT JOIN rooms r ON r.id = h.room_id ";

incoming_hook_row read_hook(const pqxx::row& r) {
  incoming_hook_row h;
  h.id = r[0].as<std::string>();
  h.room_id = r[1].as<std::string>();
  h.room_slug = r[2].as<std::string>();
  h.channel_id = r[3].as<std::string>();
  h.name = r[4].as<std::string>();
  h.creator_id = r[5].as<std::string>();
  h.user_id = r[6].as<std::string>();
  h.github_secret = r[7].as<std::string>();
  h.created_at = r[8].as<std::int64_t>();
  if (!r[9].is_null()) h.revoked_at = r[9].as<std::int64_t>();
  return h;
}

}  // namespace

incoming_hooks::incoming_hooks(connection& c) : c_{c} {
  c_.prepare("incoming_hooks.by_id", hook_select + "WHERE h.id = $1");
  c_.prepare("incoming_hooks.by_hash",
             hook_select + "WHERE h.secret_hash = $1 AND h.revoked_at IS NULL");
  c_.prepare("incoming_hooks.list", hook_select +
                                        "WHERE h.room_id = $1 AND h.revoked_at IS NULL"
                                        " ORDER BY h.created_at, h.id");
  c_.prepare("incoming_hooks.insert_user",
             "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
             " VALUES ($1, $2, $3, '', '', NULL, $4)");
  c_.prepare("incoming_hooks.insert",
             "INSERT INTO incoming_webhooks (id, room_id, channel_id, name, creator_id, user_id,"
             " secret_hash, github_secret, created_at, revoked_at)"
             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)");
  c_.prepare("incoming_hooks.revoke",
             "UPDATE incoming_webhooks SET revoked_at = $1 WHERE id = $2 AND room_id = $3"
             " AND revoked_at IS NULL");
}

expected<incoming_hook_row> incoming_hooks::create_incoming_hook(const incoming_hook_row& row,
                                                                 const std::string& bot_login,
                                                                 const std::string& secret_hash) {
  return c_.run("create incoming webhook",
                [&](pqxx::transaction_base& t) -> expected<incoming_hook_row> {
                  try {
                    t.exec_prepared0("incoming_hooks.insert_user", row.user_id, bot_login, row.name,
                                     row.created_at);
                  } catch (const pqxx::unique_violation&) {
                    return make_error(errc::conflict, "login " + bot_login + " is taken");
                  }
                  try {
                    t.exec_prepared0("incoming_hooks.insert", row.id, row.room_id, row.channel_id,
                                     row.name, row.creator_id, row.user_id, secret_hash,
                                     row.github_secret, row.created_at);
                  } catch (const pqxx::foreign_key_violation&) {
                    return make_error(errc::not_found, "no such room");
                  }
                  return read_hook(t.exec_prepared1("incoming_hooks.by_id", row.id));
                });
}

expected<std::vector<incoming_hook_row>> incoming_hooks::list_incoming_hooks(
    const std::string& room_id) {
  return c_.run("list incoming webhooks",
                [&](pqxx::transaction_base& t) -> expected<std::vector<incoming_hook_row>> {
                  std::vector<incoming_hook_row> out;
                  for (const auto& r : t.exec_prepared("incoming_hooks.list", room_id))
                    out.push_back(read_hook(r));
                  return out;
                });
}

expected<incoming_hook_row> incoming_hooks::revoke_incoming_hook(const std::string& room_id,
                                                                 const std::string& id) {
  return c_.run(
      "revoke incoming webhook", [&](pqxx::transaction_base& t) -> expected<incoming_hook_row> {
        if (t.exec_prepared("incoming_hooks.revoke", now_ms(), id, room_id).affected_rows() == 0)
          return make_error(errc::not_found, "no such incoming webhook");
        return read_hook(t.exec_prepared1("incoming_hooks.by_id", id));
      });
}

expected<incoming_hook_row> incoming_hooks::find_incoming_hook(const std::string& secret_hash) {
  return c_.run("find incoming webhook",
                [&](pqxx::transaction_base& t) -> expected<incoming_hook_row> {
                  auto res = t.exec_prepared("incoming_hooks.by_hash", secret_hash);
                  if (res.empty()) return make_error(errc::not_found, "no such incoming webhook");
                  return read_hook(res[0]);
                });
}

}  // namespace relay::storage::postgres
