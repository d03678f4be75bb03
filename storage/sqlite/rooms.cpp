// The rooms area on SQLite: rooms, channels and their members, the whitelist, access
// requests and room bots.

#include "storage/sqlite/rooms.hpp"

#include <sqlite3.h>

#include <initializer_list>
#include <string_view>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"
#include "storage/bot_rows.hpp"
#include "storage/sqlite/users.hpp"

namespace relay::storage::sqlite {

namespace {

const std::string room_cols =
    "id, slug, display_name, description, accent_colors, avatar_url, owner_id, whitelist_only,"
    " created_at";
const std::string sql_room_by_slug = "SELECT " + room_cols + " FROM rooms WHERE slug = ?";
const std::string sql_room_by_id = "SELECT " + room_cols + " FROM rooms WHERE id = ?";
const std::string sql_insert_room =
    "INSERT INTO rooms (" + room_cols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string sql_list_channels =
    "SELECT id, room_id, slug, name, visibility, created_by, created_at FROM channels"
    " WHERE room_id = ? ORDER BY created_at, id";
const std::string sql_insert_channel =
    "INSERT INTO channels (id, room_id, slug, name, visibility, created_by, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
const std::string sql_insert_channel_member =
    "INSERT INTO channel_members (channel_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
// The channel row goes first: it is a write (so a standalone savepoint takes the write
// lock before reading anything) and it names the room the other rows are keyed by.
const std::string sql_delete_channel_row = "DELETE FROM channels WHERE id = ? RETURNING room_id";
const std::string sql_delete_channel_members = "DELETE FROM channel_members WHERE channel_id = ?";
const std::string sql_delete_channel_messages =
    "DELETE FROM messages WHERE room_id = ? AND channel_id = ?";
const std::string sql_delete_channel_seq =
    "DELETE FROM channel_seqs WHERE room_id = ? AND channel_id = ?";
const std::string sql_list_channel_members =
    "SELECT cm.channel_id, cm.user_id FROM channel_members cm"
    " JOIN channels c ON c.id = cm.channel_id WHERE c.room_id = ?"
    " ORDER BY cm.channel_id, cm.user_id";
// Whitelist entries match users by login or email without case; each arm of the union
// can use its own index.
const std::string sql_list_room_members =
    "WITH ids (id) AS ("
    " SELECT author_id FROM messages WHERE room_id = ?1"
    " UNION SELECT cm.user_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id"
    "  WHERE c.room_id = ?1"
    " UNION SELECT owner_id FROM rooms WHERE id = ?1 AND owner_id IS NOT NULL"
    " UNION SELECT wu.id FROM whitelist w JOIN users wu ON wu.login = w.login COLLATE NOCASE"
    "  WHERE w.room_id = ?1"
    " UNION SELECT wu.id FROM whitelist w JOIN users wu ON wu.email = w.email COLLATE NOCASE"
    "  WHERE w.room_id = ?1) " +
    std::string{user_cols} +
    "FROM ids JOIN users u ON u.id = ids.id ORDER BY u.login COLLATE NOCASE, u.id";

// login and email are NULL when unset so the per-room unique indexes only bind real values.
const std::string whitelist_cols =
    "id, room_id, COALESCE(login, ''), COALESCE(email, ''), note, added_by, created_at";
const std::string sql_list_whitelist =
    "SELECT " + whitelist_cols + " FROM whitelist WHERE room_id = ? ORDER BY created_at, id";
const std::string sql_insert_whitelist =
    "INSERT INTO whitelist (id, room_id, login, email, note, added_by, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)";
// Approving someone already listed (e.g. added by hand meanwhile) keeps the existing entry.
const std::string sql_insert_whitelist_if_absent = sql_insert_whitelist + " ON CONFLICT DO NOTHING";
const std::string sql_remove_whitelist =
    "DELETE FROM whitelist WHERE id = ? AND room_id = ? RETURNING " + whitelist_cols;

const std::string access_request_select =
    "SELECT r.id, r.room_id, r.user_id, COALESCE(u.login, ''), r.note, r.state, r.created_at,"
    " r.decided_at, r.decided_by FROM access_requests r LEFT JOIN users u ON u.id = r.user_id ";
const std::string sql_access_request_by_id = access_request_select + "WHERE r.id = ?";
const std::string sql_list_access_requests =
    access_request_select + "WHERE r.room_id = ? ORDER BY r.created_at, r.id";
const std::string sql_list_access_requests_in_state =
    access_request_select + "WHERE r.room_id = ? AND r.state = ? ORDER BY r.created_at, r.id";
const std::string sql_insert_access_request =
    "INSERT INTO access_requests (id, room_id, user_id, note, state, created_at, decided_at,"
    " decided_by) VALUES (?, ?, ?, ?, 'pending', ?, NULL, '')";
const std::string sql_decide_access_request =
    "UPDATE access_requests SET state = ?, decided_at = ?, decided_by = ?"
    " WHERE id = ? AND room_id = ? AND state = 'pending'";

// The login check and the insert are one statement: it is a write, so a standalone
// savepoint takes the write lock before it reads whether the login is taken (without
// case, which users.login's own UNIQUE does not cover). No row inserted = taken.
const std::string sql_insert_bot_user =
    "INSERT INTO users (id, login, name, avatar_url, email, github_id, created_at)"
    " SELECT ?1, ?2, ?3, '', '', NULL, ?4"
    " WHERE NOT EXISTS (SELECT 1 FROM users WHERE login = ?2 COLLATE NOCASE)";
const std::string sql_agent_exists = "SELECT 1 FROM agents WHERE agent_id = ?";
const std::string sql_insert_bot =
    "INSERT INTO room_bots (room_id, user_id, agent_id, prefix, created_at)"
    " VALUES (?, ?, ?, ?, ?)";
// The user's columns come first so read_user() reads them.
const std::string sql_list_bots = std::string{user_cols} +
                                  ", b.room_id, b.agent_id, b.prefix, b.created_at FROM room_bots b"
                                  " JOIN users u ON u.id = b.user_id WHERE b.room_id = ?"
                                  " ORDER BY u.login COLLATE NOCASE, u.id";

room_row read_room(const statement& st) {
  room_row r;
  r.id = st.text(0);
  r.slug = st.text(1);
  r.display_name = st.text(2);
  r.description = st.text(3);
  r.accent_colors = st.text(4);
  r.avatar_url = st.text(5);
  r.owner_id = st.opt_text(6);
  r.whitelist_only = st.int64(7) != 0;
  r.created_at = st.int64(8);
  return r;
}

whitelist_row read_whitelist(const statement& st) {
  whitelist_row w;
  w.id = st.text(0);
  w.room_id = st.text(1);
  w.login = st.text(2);
  w.email = st.text(3);
  w.note = st.text(4);
  w.added_by = st.text(5);
  w.created_at = st.int64(6);
  return w;
}

expected<access_request_row> read_access_request(const statement& st, database& db) {
  access_request_row r;
  r.id = st.text(0);
  r.room_id = st.text(1);
  r.user_id = st.text(2);
  r.login = st.text(3);
  r.note = st.text(4);
  auto state = parse_request_state(st.text(5));
  if (!state) return db.fail(errc::internal, "access request " + r.id + " has an unknown state");
  r.state = *state;
  r.created_at = st.int64(6);
  r.decided_at = st.opt_int64(7);
  r.decided_by = st.text(8);
  return r;
}

}  // namespace

// -- rooms ------------------------------------------------------------------------

expected<room_row> rooms::find_room(const std::string& sql, const std::string& key) {
  auto st = db_.prepare(sql);
  if (!st) return db_.failure("find room");
  st.bind(key);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_room(st);
  if (rc != SQLITE_DONE) return db_.failure("find room");
  return make_error(errc::not_found, "no such room");
}

expected<room_row> rooms::find_room_by_slug(const std::string& slug) {
  return find_room(sql_room_by_slug, slug);
}

expected<room_row> rooms::create_room(const room_row& row) {
  if (row.slug.empty()) return make_error(errc::missing_field, "slug is empty");
  room_row r = row;
  if (r.id.empty()) r.id = make_id("room");
  if (r.created_at == 0) r.created_at = now_ms();
  if (r.accent_colors.empty()) r.accent_colors = "[]";
  auto st = db_.prepare(sql_insert_room);
  if (!st) return db_.failure("create room");
  st.bind(r.id).bind(r.slug).bind(r.display_name).bind(r.description).bind(r.accent_colors);
  st.bind(r.avatar_url);
  if (r.owner_id)
    st.bind(*r.owner_id);
  else
    st.bind_null();
  st.bind(static_cast<std::int64_t>(r.whitelist_only ? 1 : 0)).bind(r.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return r;
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    return make_error(errc::not_found, "room owner does not exist");
  if (is_constraint(rc)) return make_error(errc::conflict, "room slug " + r.slug + " is taken");
  return db_.failure("create room");
}

expected<room_row> rooms::update_room(const std::string& room_id, const room_patch& patch) {
  if (patch.slug && patch.slug->empty()) return make_error(errc::missing_field, "slug is empty");
  // At most 2^6 shapes, so the statements are cached like the fixed ones.
  std::string sets;
  auto add = [&sets](const char* col) {
    if (!sets.empty()) sets += ", ";
    sets += col;
    sets += " = ?";
  };
  if (patch.slug) add("slug");
  if (patch.display_name) add("display_name");
  if (patch.description) add("description");
  if (patch.accent_colors) add("accent_colors");
  if (patch.avatar_url) add("avatar_url");
  if (patch.whitelist_only) add("whitelist_only");

  if (!sets.empty()) {
    auto st = db_.prepare("UPDATE rooms SET " + sets + " WHERE id = ?");
    if (!st) return db_.failure("update room");
    if (patch.slug) st.bind(*patch.slug);
    if (patch.display_name) st.bind(*patch.display_name);
    if (patch.description) st.bind(*patch.description);
    if (patch.accent_colors) st.bind(patch.accent_colors->empty() ? "[]" : *patch.accent_colors);
    if (patch.avatar_url) st.bind(*patch.avatar_url);
    if (patch.whitelist_only) st.bind(static_cast<std::int64_t>(*patch.whitelist_only ? 1 : 0));
    st.bind(room_id);
    const int rc = st.step();
    if (rc != SQLITE_DONE) {
      if (is_constraint(rc))
        return make_error(errc::conflict, "room slug " + patch.slug.value_or("") + " is taken");
      return db_.failure("update room");
    }
  }
  return find_room(sql_room_by_id, room_id);
}

// -- channels -------------------------------------------------------------------

expected<std::vector<channel_row>> rooms::list_channels(const std::string& room_id) {
  std::vector<channel_row> out;
  auto st = db_.prepare(sql_list_channels);
  if (!st) return db_.failure("list channels");
  st.bind(room_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    channel_row c;
    c.id = st.text(0);
    c.room_id = st.text(1);
    c.slug = st.text(2);
    c.name = st.text(3);
    auto visibility = parse_channel_visibility(st.text(4));
    if (!visibility)
      return db_.fail(errc::internal, "channel " + c.id + " has an unknown visibility");
    c.visibility = *visibility;
    c.created_by = st.text(5);
    c.created_at = st.int64(6);
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return db_.failure("list channels");
  return out;
}

expected<channel_row> rooms::create_channel(const channel_row& row,
                                            const std::vector<std::string>& member_ids) {
  channel_row c = row;
  if (c.id.empty()) c.id = make_id("ch");
  if (c.created_at == 0) c.created_at = now_ms();

  savepoint sp{db_};
  if (!sp) return sp.error();
  {
    auto st = db_.prepare(sql_insert_channel);
    if (!st) return db_.failure("create channel");
    st.bind(c.id).bind(c.room_id).bind(c.slug).bind(c.name).bind(to_string(c.visibility));
    st.bind(c.created_by);
    st.bind(c.created_at);
    const int rc = st.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      return make_error(errc::not_found, "room does not exist");
    if (is_constraint(rc))
      return make_error(errc::conflict, "channel slug " + c.slug + " is taken in this room");
    if (rc != SQLITE_DONE) return db_.failure("create channel");
  }
  for (const auto& user_id : member_ids) {
    auto st = db_.prepare(sql_insert_channel_member);
    if (!st) return db_.failure("add channel member");
    st.bind(c.id).bind(user_id);
    const int rc = st.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      return make_error(errc::not_found, "channel member " + user_id + " does not exist");
    if (rc != SQLITE_DONE) return db_.failure("add channel member");
  }
  if (auto r = sp.release(); !r) return r.error();
  return c;
}

expected<void> rooms::delete_channel(const std::string& channel_id) {
  savepoint sp{db_};
  if (!sp) return sp.error();
  std::string room_id;
  {
    auto st = db_.prepare(sql_delete_channel_row);
    if (!st) return db_.failure("delete channel");
    st.bind(channel_id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) {  // no such channel: nothing was written
      if (auto r = sp.release(); !r) return r.error();
      return make_error(errc::not_found, "no such channel");
    }
    if (rc != SQLITE_ROW) return db_.failure("delete channel");
    room_id = st.text(0);
    if (st.step() != SQLITE_DONE) return db_.failure("delete channel");
  }
  // Members also go by ON DELETE CASCADE; deleting them here does not depend on it.
  const auto step = [this](const std::string& sql, std::initializer_list<std::string_view> args,
                           const char* what) -> expected<void> {
    auto st = db_.prepare(sql);
    if (!st) return db_.failure(what);
    for (auto a : args) st.bind(a);
    if (st.step() != SQLITE_DONE) return db_.failure(what);
    return {};
  };
  if (auto r = step(sql_delete_channel_members, {channel_id}, "delete channel members"); !r)
    return r;
  if (auto r = step(sql_delete_channel_messages, {room_id, channel_id}, "delete channel messages");
      !r)
    return r;
  if (auto r = step(sql_delete_channel_seq, {room_id, channel_id}, "delete channel seq"); !r)
    return r;
  return sp.release();
}

expected<std::vector<channel_member_row>> rooms::list_channel_members(const std::string& room_id) {
  std::vector<channel_member_row> out;
  auto st = db_.prepare(sql_list_channel_members);
  if (!st) return db_.failure("list channel members");
  st.bind(room_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back({st.text(0), st.text(1)});
  if (rc != SQLITE_DONE) return db_.failure("list channel members");
  return out;
}

expected<std::vector<user_row>> rooms::list_room_members(const std::string& room_id) {
  auto st = db_.prepare(sql_list_room_members);
  if (!st) return db_.failure("list room members");
  st.bind(room_id);
  return read_users(db_, st, "list room members");
}

// -- whitelist and access requests ------------------------------------------------

expected<std::vector<whitelist_row>> rooms::list_whitelist(const std::string& room_id) {
  std::vector<whitelist_row> out;
  auto st = db_.prepare(sql_list_whitelist);
  if (!st) return db_.failure("list whitelist");
  st.bind(room_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_whitelist(st));
  if (rc != SQLITE_DONE) return db_.failure("list whitelist");
  return out;
}

expected<whitelist_row> rooms::add_whitelist(const whitelist_row& row) {
  if (row.room_id.empty() || (row.login.empty() && row.email.empty()))
    return make_error(errc::missing_field, "room_id and a login or an email are required");
  whitelist_row w = row;
  if (w.id.empty()) w.id = make_id("wl");
  if (w.created_at == 0) w.created_at = now_ms();
  auto st = db_.prepare(sql_insert_whitelist);
  if (!st) return db_.failure("add whitelist entry");
  st.bind(w.id).bind(w.room_id).bind_text_or_null(w.login).bind_text_or_null(w.email);
  st.bind(w.note).bind(w.added_by).bind(w.created_at);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return w;
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return make_error(errc::not_found, "room does not exist");
  if (!is_constraint(rc)) return db_.failure("add whitelist entry");
  // "UNIQUE constraint failed: whitelist.room_id, whitelist.login" names the column.
  const std::string_view why = db_.message();
  if (why.find("whitelist.email") != std::string_view::npos)
    return make_error(errc::conflict, "email " + w.email + " is already on this room's whitelist");
  if (why.find("whitelist.login") != std::string_view::npos)
    return make_error(errc::conflict, "login " + w.login + " is already on this room's whitelist");
  return make_error(errc::conflict, "this entry is already on this room's whitelist");
}

expected<whitelist_row> rooms::remove_whitelist(const std::string& room_id,
                                                const std::string& entry_id) {
  auto st = db_.prepare(sql_remove_whitelist);
  if (!st) return db_.failure("remove whitelist entry");
  st.bind(entry_id).bind(room_id);
  int rc = st.step();
  if (rc == SQLITE_DONE) return make_error(errc::not_found, "no such whitelist entry");
  if (rc != SQLITE_ROW) return db_.failure("remove whitelist entry");
  auto w = read_whitelist(st);
  if (st.step() != SQLITE_DONE) return db_.failure("remove whitelist entry");
  return w;
}

expected<access_request_row> rooms::find_access_request(const std::string& id) {
  auto st = db_.prepare(sql_access_request_by_id);
  if (!st) return db_.failure("find access request");
  st.bind(id);
  const int rc = st.step();
  if (rc == SQLITE_ROW) return read_access_request(st, db_);
  if (rc != SQLITE_DONE) return db_.failure("find access request");
  return make_error(errc::not_found, "no such access request");
}

expected<access_request_row> rooms::create_access_request(const access_request_row& row) {
  if (row.room_id.empty() || row.user_id.empty())
    return make_error(errc::missing_field, "room_id and user_id are required");
  const std::string id = row.id.empty() ? make_id("arq") : row.id;
  const std::int64_t created_at = row.created_at != 0 ? row.created_at : now_ms();
  {
    auto st = db_.prepare(sql_insert_access_request);
    if (!st) return db_.failure("create access request");
    st.bind(id).bind(row.room_id).bind(row.user_id).bind(row.note).bind(created_at);
    const int rc = st.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      return make_error(errc::not_found, "room or user does not exist");
    if (is_constraint(rc))
      return make_error(errc::conflict, "an access request for this room is already pending");
    if (rc != SQLITE_DONE) return db_.failure("create access request");
  }
  auto stored = find_access_request(id);
  if (stored.not_found()) return db_.fail(errc::internal, "created access request not found");
  return stored;
}

expected<std::vector<access_request_row>> rooms::list_access_requests(
    const std::string& room_id, std::optional<request_state> state) {
  std::vector<access_request_row> out;
  auto st = db_.prepare(state ? sql_list_access_requests_in_state : sql_list_access_requests);
  if (!st) return db_.failure("list access requests");
  st.bind(room_id);
  if (state) st.bind(to_string(*state));
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    auto r = read_access_request(st, db_);
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  if (rc != SQLITE_DONE) return db_.failure("list access requests");
  return out;
}

expected<access_request_row> rooms::decide_access_request(const std::string& room_id,
                                                          const std::string& request_id,
                                                          bool approve,
                                                          const std::string& decided_by,
                                                          std::int64_t decided_at) {
  if (decided_at == 0) decided_at = now_ms();

  savepoint sp{db_};
  if (!sp) return sp.error();
  // The state change comes first: it is a write, so a standalone savepoint takes the
  // write lock before it reads, and only a pending request changes.
  {
    auto st = db_.prepare(sql_decide_access_request);
    if (!st) return db_.failure("decide access request");
    st.bind(to_string(approve ? request_state::approved : request_state::denied))
        .bind(decided_at)
        .bind(decided_by);
    st.bind(request_id).bind(room_id);
    if (st.step() != SQLITE_DONE) return db_.failure("decide access request");
  }
  if (db_.changes() == 0) {
    if (auto r = sp.release(); !r) return r.error();  // nothing was written
    auto existing = find_access_request(request_id);
    if (existing.failed()) return existing.error();
    if (!existing || existing->room_id != room_id)
      return make_error(errc::not_found, "no such access request");
    return make_error(errc::conflict,
                      "access request is already " + std::string{to_string(existing->state)});
  }

  auto decided = find_access_request(request_id);
  if (decided.not_found()) return db_.fail(errc::internal, "decided access request not found");
  if (!decided) return decided.error();
  if (approve) {
    if (decided->login.empty())
      return make_error(errc::not_found, "the requester no longer exists");
    auto st = db_.prepare(sql_insert_whitelist_if_absent);
    if (!st) return db_.failure("whitelist approved requester");
    st.bind(make_id("wl")).bind(room_id).bind(decided->login).bind_null().bind("");
    st.bind(decided_by).bind(decided_at);
    if (st.step() != SQLITE_DONE) return db_.failure("whitelist approved requester");
  }
  if (auto r = sp.release(); !r) return r.error();
  return decided;
}

// -- room bots --------------------------------------------------------------------

expected<bot_row> rooms::create_bot(const std::string& room_id, const std::string& login,
                                    const std::string& name, const std::string& agent_id,
                                    const std::string& prefix) {
  auto made = new_bot_row(room_id, login, name, agent_id, prefix);
  if (!made) return made.error();
  auto b = std::move(*made);

  savepoint sp{db_};
  if (!sp) return sp.error();
  {
    auto st = db_.prepare(sql_insert_bot_user);
    if (!st) return db_.failure("create bot user");
    st.bind(b.user.id).bind(b.user.login).bind(b.user.name).bind(b.user.created_at);
    const int rc = st.step();
    if (is_constraint(rc)) return make_error(errc::conflict, "login " + login + " is taken");
    if (rc != SQLITE_DONE) return db_.failure("create bot user");
  }
  if (db_.changes() == 0) return make_error(errc::conflict, "login " + login + " is taken");
  if (!agent_id.empty()) {
    auto st = db_.prepare(sql_agent_exists);
    if (!st) return db_.failure("find agent");
    st.bind(agent_id);
    const int rc = st.step();
    if (rc == SQLITE_DONE)
      return make_error(errc::not_found, "agent " + agent_id + " does not exist");
    if (rc != SQLITE_ROW) return db_.failure("find agent");
  }
  {
    auto st = db_.prepare(sql_insert_bot);
    if (!st) return db_.failure("create bot");
    st.bind(b.room_id).bind(b.user.id).bind(b.agent_id).bind(b.prefix).bind(b.created_at);
    const int rc = st.step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      return make_error(errc::not_found, "room does not exist");
    if (rc != SQLITE_DONE) return db_.failure("create bot");
  }
  if (auto r = sp.release(); !r) return r.error();
  return b;
}

expected<std::vector<bot_row>> rooms::list_bots(const std::string& room_id) {
  std::vector<bot_row> out;
  auto st = db_.prepare(sql_list_bots);
  if (!st) return db_.failure("list bots");
  st.bind(room_id);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    bot_row b;
    b.user = read_user(st);
    b.room_id = st.text(7);
    b.agent_id = st.text(8);
    b.prefix = st.text(9);
    b.created_at = st.int64(10);
    out.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE) return db_.failure("list bots");
  return out;
}

}  // namespace relay::storage::sqlite
