// The rooms area on Postgres: rooms, channels and their members, the whitelist, access
// requests and room bots. Mirrors storage/sqlite/rooms.cpp statement for statement.

#include "storage/postgres/rooms.hpp"

#include <string_view>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"
#include "storage/bot_rows.hpp"
#include "storage/postgres/users.hpp"

namespace relay::storage::postgres {

namespace {

const std::string room_cols =
    "id, slug, display_name, description, accent_colors, avatar_url, owner_id, whitelist_only,"
    " created_at";
// login and email are NULL when unset so the per-room unique indexes only bind real values.
const std::string whitelist_cols =
    "id, room_id, COALESCE(login, ''), COALESCE(email, ''), note, added_by, created_at";
const std::string insert_whitelist =
    "INSERT INTO whitelist (id, room_id, login, email, note, added_by, created_at)"
    " VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), $5, $6, $7)";
const std::string access_request_select =
    "SELECT r.id, r.room_id, r.user_id, COALESCE(u.login, ''), r.note, r.state, r.created_at,"
    " r.decided_at, r.decided_by FROM access_requests r LEFT JOIN users u ON u.id = r.user_id ";

room_row read_room(const pqxx::row& r) {
  room_row out;
  out.id = r[0].as<std::string>();
  out.slug = r[1].as<std::string>();
  out.display_name = r[2].as<std::string>();
  out.description = r[3].as<std::string>();
  out.accent_colors = r[4].as<std::string>();
  out.avatar_url = r[5].as<std::string>();
  if (!r[6].is_null()) out.owner_id = r[6].as<std::string>();
  out.whitelist_only = r[7].as<bool>();
  out.created_at = r[8].as<std::int64_t>();
  return out;
}

whitelist_row read_whitelist(const pqxx::row& r) {
  whitelist_row w;
  w.id = r[0].as<std::string>();
  w.room_id = r[1].as<std::string>();
  w.login = r[2].as<std::string>();
  w.email = r[3].as<std::string>();
  w.note = r[4].as<std::string>();
  w.added_by = r[5].as<std::string>();
  w.created_at = r[6].as<std::int64_t>();
  return w;
}

expected<access_request_row> read_access_request(const pqxx::row& row, connection& c) {
  access_request_row r;
  r.id = row[0].as<std::string>();
  r.room_id = row[1].as<std::string>();
  r.user_id = row[2].as<std::string>();
  r.login = row[3].as<std::string>();
  r.note = row[4].as<std::string>();
  auto state = parse_request_state(row[5].as<std::string>());
  if (!state) return c.fail(errc::internal, "access request " + r.id + " has an unknown state");
  r.state = *state;
  r.created_at = row[6].as<std::int64_t>();
  if (!row[7].is_null()) r.decided_at = row[7].as<std::int64_t>();
  r.decided_by = row[8].as<std::string>();
  return r;
}

expected<access_request_row> one_access_request(const pqxx::result& res, connection& c) {
  if (res.empty()) return make_error(errc::not_found, "no such access request");
  return read_access_request(res[0], c);
}

// An optional text parameter: NULL when unset (libpqxx sends a null char pointer as NULL).
const char* or_null(const std::optional<std::string>& v) {
  return v ? v->c_str() : nullptr;
}

}  // namespace

rooms::rooms(connection& c) : c_{c} {
  c_.prepare("rooms.by_slug", "SELECT " + room_cols + " FROM rooms WHERE slug = $1");
  c_.prepare("rooms.by_id", "SELECT " + room_cols + " FROM rooms WHERE id = $1");
  c_.prepare("rooms.insert",
             "INSERT INTO rooms (" + room_cols + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
  // One statement for every patch: a NULL parameter keeps the column.
  c_.prepare("rooms.update",
             "UPDATE rooms SET slug = COALESCE($2, slug),"
             " display_name = COALESCE($3, display_name),"
             " description = COALESCE($4, description),"
             " accent_colors = COALESCE($5, accent_colors),"
             " avatar_url = COALESCE($6, avatar_url),"
             " whitelist_only = COALESCE($7::boolean, whitelist_only) WHERE id = $1");
  c_.prepare("rooms.list_channels",
             "SELECT id, room_id, slug, name, visibility, created_by, created_at FROM channels"
             " WHERE room_id = $1 ORDER BY created_at, id");
  c_.prepare("rooms.insert_channel",
             "INSERT INTO channels (id, room_id, slug, name, visibility, created_by, created_at)"
             " VALUES ($1, $2, $3, $4, $5, $6, $7)");
  c_.prepare("rooms.insert_channel_member",
             "INSERT INTO channel_members (channel_id, user_id) VALUES ($1, $2)"
             " ON CONFLICT DO NOTHING");
  c_.prepare("rooms.delete_channel", "DELETE FROM channels WHERE id = $1 RETURNING room_id");
  c_.prepare("rooms.delete_channel_members", "DELETE FROM channel_members WHERE channel_id = $1");
  c_.prepare("rooms.delete_channel_messages",
             "DELETE FROM messages WHERE room_id = $1 AND channel_id = $2");
  c_.prepare("rooms.delete_channel_seq",
             "DELETE FROM channel_seqs WHERE room_id = $1 AND channel_id = $2");
  c_.prepare("rooms.list_channel_members",
             "SELECT cm.channel_id, cm.user_id FROM channel_members cm"
             " JOIN channels c ON c.id = cm.channel_id WHERE c.room_id = $1"
             " ORDER BY cm.channel_id, cm.user_id");
  // Whitelist entries match users by login or email without case; each arm of the union
  // can use its own index.
  c_.prepare("rooms.list_room_members",
             "WITH ids (id) AS ("
             " SELECT author_id FROM messages WHERE room_id = $1"
             " UNION SELECT cm.user_id FROM channel_members cm JOIN channels c"
             "  ON c.id = cm.channel_id WHERE c.room_id = $1"
             " UNION SELECT owner_id FROM rooms WHERE id = $1 AND owner_id IS NOT NULL"
             " UNION SELECT wu.id FROM whitelist w JOIN users wu ON lower(wu.login) ="
             "  lower(w.login) WHERE w.room_id = $1"
             " UNION SELECT wu.id FROM whitelist w JOIN users wu ON lower(wu.email COLLATE \"C\")"
             "  = lower(w.email) WHERE w.room_id = $1) " +
                 std::string{user_cols} +
                 "FROM ids JOIN users u ON u.id = ids.id ORDER BY lower(u.login), u.id");
  c_.prepare("rooms.list_whitelist", "SELECT " + whitelist_cols +
                                         " FROM whitelist WHERE room_id = $1"
                                         " ORDER BY created_at, id");
  c_.prepare("rooms.insert_whitelist", insert_whitelist);
  // Approving someone already listed (e.g. added by hand meanwhile) keeps the existing entry.
  c_.prepare("rooms.insert_whitelist_if_absent", insert_whitelist + " ON CONFLICT DO NOTHING");
  c_.prepare("rooms.remove_whitelist",
             "DELETE FROM whitelist WHERE id = $1 AND room_id = $2 RETURNING " + whitelist_cols);
  c_.prepare("rooms.access_request_by_id", access_request_select + "WHERE r.id = $1");
  c_.prepare("rooms.list_access_requests",
             access_request_select + "WHERE r.room_id = $1 ORDER BY r.created_at, r.id");
  c_.prepare(
      "rooms.list_access_requests_in_state",
      access_request_select + "WHERE r.room_id = $1 AND r.state = $2 ORDER BY r.created_at, r.id");
  c_.prepare("rooms.insert_access_request",
             "INSERT INTO access_requests (id, room_id, user_id, note, state, created_at,"
             " decided_at, decided_by) VALUES ($1, $2, $3, $4, 'pending', $5, NULL, '')");
  c_.prepare("rooms.decide_access_request",
             "UPDATE access_requests SET state = $1, decided_at = $2, decided_by = $3"
             " WHERE id = $4 AND room_id = $5 AND state = 'pending'");
  c_.prepare("rooms.insert_bot_user",
             "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
             " VALUES ($1, $2, $3, '', '', NULL, $4)");
  c_.prepare("rooms.agent_exists", "SELECT 1 FROM agents WHERE agent_id = $1");
  c_.prepare("rooms.insert_bot",
             "INSERT INTO room_bots (room_id, user_id, agent_id, prefix, created_at)"
             " VALUES ($1, $2, $3, $4, $5)");
  // The user's columns come first so read_user() reads them.
  c_.prepare("rooms.list_bots", std::string{user_cols} +
                                    ", b.room_id, b.agent_id, b.prefix, b.created_at FROM"
                                    " room_bots b JOIN users u ON u.id = b.user_id"
                                    " WHERE b.room_id = $1 ORDER BY lower(u.login), u.id");
}

// -- rooms ------------------------------------------------------------------------

expected<room_row> rooms::find_room_by_slug(const std::string& slug) {
  return c_.run("find room", [&](pqxx::transaction_base& t) -> expected<room_row> {
    auto res = t.exec_prepared("rooms.by_slug", slug);
    if (res.empty()) return make_error(errc::not_found, "no such room");
    return read_room(res[0]);
  });
}

expected<room_row> rooms::create_room(const room_row& row) {
  if (row.slug.empty()) return make_error(errc::missing_field, "slug is empty");
  room_row r = row;
  if (r.id.empty()) r.id = make_id("room");
  if (r.created_at == 0) r.created_at = now_ms();
  if (r.accent_colors.empty()) r.accent_colors = "[]";
  return c_.run("create room", [&](pqxx::transaction_base& t) -> expected<room_row> {
    try {
      t.exec_prepared0("rooms.insert", r.id, r.slug, r.display_name, r.description, r.accent_colors,
                       r.avatar_url, or_null(r.owner_id), r.whitelist_only, r.created_at);
    } catch (const pqxx::foreign_key_violation&) {
      return make_error(errc::not_found, "room owner does not exist");
    } catch (const pqxx::unique_violation&) {
      return make_error(errc::conflict, "room slug " + r.slug + " is taken");
    }
    return r;
  });
}

expected<room_row> rooms::update_room(const std::string& room_id, const room_patch& patch) {
  if (patch.slug && patch.slug->empty()) return make_error(errc::missing_field, "slug is empty");
  std::optional<std::string> accent = patch.accent_colors;
  if (accent && accent->empty()) accent = "[]";
  std::optional<std::string> whitelist_only;
  if (patch.whitelist_only) whitelist_only = *patch.whitelist_only ? "true" : "false";
  return c_.run("update room", [&](pqxx::transaction_base& t) -> expected<room_row> {
    try {
      t.exec_prepared0("rooms.update", room_id, or_null(patch.slug), or_null(patch.display_name),
                       or_null(patch.description), or_null(accent), or_null(patch.avatar_url),
                       or_null(whitelist_only));
    } catch (const pqxx::unique_violation&) {
      return make_error(errc::conflict, "room slug " + patch.slug.value_or("") + " is taken");
    }
    auto res = t.exec_prepared("rooms.by_id", room_id);
    if (res.empty()) return make_error(errc::not_found, "no such room");
    return read_room(res[0]);
  });
}

// -- channels -------------------------------------------------------------------

expected<std::vector<channel_row>> rooms::list_channels(const std::string& room_id) {
  return c_.run(
      "list channels", [&](pqxx::transaction_base& t) -> expected<std::vector<channel_row>> {
        std::vector<channel_row> out;
        for (const auto& r : t.exec_prepared("rooms.list_channels", room_id)) {
          channel_row c;
          c.id = r[0].as<std::string>();
          c.room_id = r[1].as<std::string>();
          c.slug = r[2].as<std::string>();
          c.name = r[3].as<std::string>();
          auto visibility = parse_channel_visibility(r[4].as<std::string>());
          if (!visibility)
            return c_.fail(errc::internal, "channel " + c.id + " has an unknown visibility");
          c.visibility = *visibility;
          c.created_by = r[5].as<std::string>();
          c.created_at = r[6].as<std::int64_t>();
          out.push_back(std::move(c));
        }
        return out;
      });
}

expected<channel_row> rooms::create_channel(const channel_row& row,
                                            const std::vector<std::string>& member_ids) {
  channel_row c = row;
  if (c.id.empty()) c.id = make_id("ch");
  if (c.created_at == 0) c.created_at = now_ms();
  return c_.run("create channel", [&](pqxx::transaction_base& t) -> expected<channel_row> {
    try {
      t.exec_prepared0("rooms.insert_channel", c.id, c.room_id, c.slug, c.name,
                       std::string{to_string(c.visibility)}, c.created_by, c.created_at);
    } catch (const pqxx::foreign_key_violation&) {
      return make_error(errc::not_found, "room does not exist");
    } catch (const pqxx::unique_violation&) {
      return make_error(errc::conflict, "channel slug " + c.slug + " is taken in this room");
    }
    for (const auto& user_id : member_ids) {
      try {
        t.exec_prepared0("rooms.insert_channel_member", c.id, user_id);
      } catch (const pqxx::foreign_key_violation&) {
        return make_error(errc::not_found, "channel member " + user_id + " does not exist");
      }
    }
    return c;
  });
}

expected<void> rooms::delete_channel(const std::string& channel_id) {
  return c_.run("delete channel", [&](pqxx::transaction_base& t) -> expected<void> {
    auto gone = t.exec_prepared("rooms.delete_channel", channel_id);
    if (gone.empty()) return make_error(errc::not_found, "no such channel");
    const auto room_id = gone[0][0].as<std::string>();
    // Members also go by ON DELETE CASCADE; deleting them here does not depend on it.
    t.exec_prepared0("rooms.delete_channel_members", channel_id);
    t.exec_prepared0("rooms.delete_channel_messages", room_id, channel_id);
    t.exec_prepared0("rooms.delete_channel_seq", room_id, channel_id);
    return {};
  });
}

expected<std::vector<channel_member_row>> rooms::list_channel_members(const std::string& room_id) {
  return c_.run("list channel members",
                [&](pqxx::transaction_base& t) -> expected<std::vector<channel_member_row>> {
                  std::vector<channel_member_row> out;
                  for (const auto& r : t.exec_prepared("rooms.list_channel_members", room_id))
                    out.push_back({r[0].as<std::string>(), r[1].as<std::string>()});
                  return out;
                });
}

expected<std::vector<user_row>> rooms::list_room_members(const std::string& room_id) {
  return c_.run("list room members",
                [&](pqxx::transaction_base& t) -> expected<std::vector<user_row>> {
                  std::vector<user_row> out;
                  for (const auto& r : t.exec_prepared("rooms.list_room_members", room_id))
                    out.push_back(read_user(r));
                  return out;
                });
}

// -- whitelist and access requests ------------------------------------------------

expected<std::vector<whitelist_row>> rooms::list_whitelist(const std::string& room_id) {
  return c_.run("list whitelist",
                [&](pqxx::transaction_base& t) -> expected<std::vector<whitelist_row>> {
                  std::vector<whitelist_row> out;
                  for (const auto& r : t.exec_prepared("rooms.list_whitelist", room_id))
                    out.push_back(read_whitelist(r));
                  return out;
                });
}

expected<whitelist_row> rooms::add_whitelist(const whitelist_row& row) {
  if (row.room_id.empty() || (row.login.empty() && row.email.empty()))
    return make_error(errc::missing_field, "room_id and a login or an email are required");
  whitelist_row w = row;
  if (w.id.empty()) w.id = make_id("wl");
  if (w.created_at == 0) w.created_at = now_ms();
  return c_.run("add whitelist entry", [&](pqxx::transaction_base& t) -> expected<whitelist_row> {
    try {
      t.exec_prepared0("rooms.insert_whitelist", w.id, w.room_id, w.login, w.email, w.note,
                       w.added_by, w.created_at);
    } catch (const pqxx::foreign_key_violation&) {
      return make_error(errc::not_found, "room does not exist");
    } catch (const pqxx::unique_violation& e) {
      // Postgres names the index: whitelist_room_login or whitelist_room_email.
      const std::string_view why = e.what();
      if (why.find("whitelist_room_email") != std::string_view::npos)
        return make_error(errc::conflict,
                          "email " + w.email + " is already on this room's whitelist");
      if (why.find("whitelist_room_login") != std::string_view::npos)
        return make_error(errc::conflict,
                          "login " + w.login + " is already on this room's whitelist");
      return make_error(errc::conflict, "this entry is already on this room's whitelist");
    }
    return w;
  });
}

expected<whitelist_row> rooms::remove_whitelist(const std::string& room_id,
                                                const std::string& entry_id) {
  return c_.run("remove whitelist entry",
                [&](pqxx::transaction_base& t) -> expected<whitelist_row> {
                  auto res = t.exec_prepared("rooms.remove_whitelist", entry_id, room_id);
                  if (res.empty()) return make_error(errc::not_found, "no such whitelist entry");
                  return read_whitelist(res[0]);
                });
}

expected<access_request_row> rooms::create_access_request(const access_request_row& row) {
  if (row.room_id.empty() || row.user_id.empty())
    return make_error(errc::missing_field, "room_id and user_id are required");
  const std::string id = row.id.empty() ? make_id("arq") : row.id;
  const std::int64_t created_at = row.created_at != 0 ? row.created_at : now_ms();
  return c_.run(
      "create access request", [&](pqxx::transaction_base& t) -> expected<access_request_row> {
        try {
          t.exec_prepared0("rooms.insert_access_request", id, row.room_id, row.user_id, row.note,
                           created_at);
        } catch (const pqxx::foreign_key_violation&) {
          return make_error(errc::not_found, "room or user does not exist");
        } catch (const pqxx::unique_violation&) {
          return make_error(errc::conflict, "an access request for this room is already pending");
        }
        auto stored = one_access_request(t.exec_prepared("rooms.access_request_by_id", id), c_);
        if (stored.not_found()) return c_.fail(errc::internal, "created access request not found");
        return stored;
      });
}

expected<std::vector<access_request_row>> rooms::list_access_requests(
    const std::string& room_id, std::optional<request_state> state) {
  return c_.run("list access requests",
                [&](pqxx::transaction_base& t) -> expected<std::vector<access_request_row>> {
                  auto res = state ? t.exec_prepared("rooms.list_access_requests_in_state", room_id,
                                                     std::string{to_string(*state)})
                                   : t.exec_prepared("rooms.list_access_requests", room_id);
                  std::vector<access_request_row> out;
                  for (const auto& row : res) {
                    auto r = read_access_request(row, c_);
                    if (!r) return r.error();
                    out.push_back(std::move(*r));
                  }
                  return out;
                });
}

expected<access_request_row> rooms::decide_access_request(const std::string& room_id,
                                                          const std::string& request_id,
                                                          bool approve,
                                                          const std::string& decided_by,
                                                          std::int64_t decided_at) {
  if (decided_at == 0) decided_at = now_ms();
  const std::string state{to_string(approve ? request_state::approved : request_state::denied)};
  return c_.run(
      "decide access request", [&](pqxx::transaction_base& t) -> expected<access_request_row> {
        // Only a pending request changes; the update's row lock makes a second decider
        // (on another node) wait and then find it decided.
        auto changed = t.exec_prepared("rooms.decide_access_request", state, decided_at, decided_by,
                                       request_id, room_id);
        auto found =
            one_access_request(t.exec_prepared("rooms.access_request_by_id", request_id), c_);
        if (changed.affected_rows() == 0) {
          if (found.failed()) return found.error();
          if (!found || found->room_id != room_id)
            return make_error(errc::not_found, "no such access request");
          return make_error(errc::conflict,
                            "access request is already " + std::string{to_string(found->state)});
        }
        if (found.not_found()) return c_.fail(errc::internal, "decided access request not found");
        if (!found) return found.error();
        if (approve) {
          if (found->login.empty())
            return make_error(errc::not_found, "the requester no longer exists");
          t.exec_prepared0("rooms.insert_whitelist_if_absent", make_id("wl"), room_id, found->login,
                           "", "", decided_by, decided_at);
        }
        return found;
      });
}

// -- room bots --------------------------------------------------------------------

expected<bot_row> rooms::create_bot(const std::string& room_id, const std::string& login,
                                    const std::string& name, const std::string& agent_id,
                                    const std::string& prefix) {
  auto made = new_bot_row(room_id, login, name, agent_id, prefix);
  if (!made) return made.error();
  auto b = std::move(*made);
  return c_.run("create bot", [&](pqxx::transaction_base& t) -> expected<bot_row> {
    // users_login_nocase refuses a login taken in any case.
    try {
      t.exec_prepared0("rooms.insert_bot_user", b.user.id, b.user.login, b.user.name,
                       b.user.created_at);
    } catch (const pqxx::unique_violation&) {
      return make_error(errc::conflict, "login " + login + " is taken");
    }
    if (!agent_id.empty() && t.exec_prepared("rooms.agent_exists", agent_id).empty())
      return make_error(errc::not_found, "agent " + agent_id + " does not exist");
    try {
      t.exec_prepared0("rooms.insert_bot", b.room_id, b.user.id, b.agent_id, b.prefix,
                       b.created_at);
    } catch (const pqxx::foreign_key_violation&) {
      return make_error(errc::not_found, "room does not exist");
    }
    return b;
  });
}

expected<std::vector<bot_row>> rooms::list_bots(const std::string& room_id) {
  return c_.run("list bots", [&](pqxx::transaction_base& t) -> expected<std::vector<bot_row>> {
    std::vector<bot_row> out;
    for (const auto& r : t.exec_prepared("rooms.list_bots", room_id)) {
      bot_row b;
      b.user = read_user(r);
      b.room_id = r[7].as<std::string>();
      b.agent_id = r[8].as<std::string>();
      b.prefix = r[9].as<std::string>();
      b.created_at = r[10].as<std::int64_t>();
      out.push_back(std::move(b));
    }
    return out;
  });
}

}  // namespace relay::storage::postgres
