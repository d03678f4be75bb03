// The room's owner and membership operations. Every rule comes from actors/chat/access.hpp;
// every write goes through the store writer and changes the room's memory only after
// it has committed.

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/chat/room_state.hpp"
#include "actors/store_call.hpp"
#include "actors/webhook_outbox.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/room_codec.hpp"

namespace relay {

namespace {

template <class T>
using promise = caf::typed_response_promise<storage::expected<T>>;

write_outcome failure(const error_info& e) {
  write_outcome out;
  out.error = e;
  return out;
}

write_outcome failure(errc c, std::string msg) {
  return failure(make_error(c, std::move(msg)));
}

// Handlers answer through a promise on every path, the refusals included.
template <class T>
caf::typed_response_promise<T> answer(room_self self, T value) {
  auto rp = self->make_response_promise<T>();
  rp.deliver(std::move(value));
  return rp;
}

template <class T>
caf::typed_response_promise<storage::expected<T>> refused(room_self self, errc c, std::string msg) {
  return answer(self, refuse<T>(c, std::move(msg)));
}

bool owns(const room_state& st, const principal& who) {
  return access::is_owner(st.p.row, who.user);
}

// Resolves logins to users; fails naming the unknown ones.
template <class Then, class Fail>
void resolve_logins(room_self self, std::vector<std::string> logins, Then then, Fail fail) {
  store_call(
      self, self->state.p.readers,
      [logins](storage::store& db) { return db.find_users_by_logins(logins); },
      [logins, then, fail](std::vector<storage::user_row>& users) mutable {
        std::string unknown;
        for (auto& l : logins) {
          bool found = std::any_of(users.begin(), users.end(),
                                   [&](auto& u) { return same_login(l, u.login); });
          if (!found) unknown += (unknown.empty() ? "" : ", ") + l;
        }
        if (!unknown.empty()) return fail(make_error(errc::not_found, "unknown login: " + unknown));
        then(users);
      },
      fail);
}

// Creates the channel row and its members, then brings it to life in the room. `joined`
// are the members as users, for the hooks' member.joined (none for a DM, which is not
// announced).
void create_and_announce(room_self self, caf::typed_response_promise<write_outcome> rp,
                         storage::channel_row row, access::member_set members, bool direct,
                         std::vector<storage::user_row> joined = {}) {
  std::vector<std::string> ids(members.begin(), members.end());
  store_call(
      self, self->state.p.writer,
      [row, ids, direct, joined = std::move(joined)](storage::store& db) {
        auto made = db.create_channel(row, ids);
        // A DM is not announced; a channel's hooks see it in its own transaction.
        if (!made || direct) return made;
        using made_t = storage::expected<storage::channel_row>;
        // The store's row has no member count; the hook shows the channel as the
        // `channel_created` frame does, with its members counted.
        auto shown = *made;
        shown.member_count = static_cast<std::int64_t>(ids.size());
        if (auto hooked = webhook_outbox::channel_created(db, shown); !hooked)
          return made_t{hooked.error()};
        for (auto& u : joined)
          if (auto hooked = webhook_outbox::member_joined(db, made->room_id, made->id, u); !hooked)
            return made_t{hooked.error()};
        return made;
      },
      [self, rp, members, direct](storage::channel_row& ch) mutable {
        ch.member_count = static_cast<std::int64_t>(members.size());
        auto f = make_frame(direct ? codec::encode_direct_created(ch)
                                   : codec::encode_channel_created(ch));
        add_channel(self, ch, std::move(members), true, f);
        tell_other_nodes(self);
        write_outcome out;
        out.channel = std::move(ch);
        rp.deliver(std::move(out));
      },
      [rp](const error_info& e) mutable { rp.deliver(failure(e)); });
}

caf::typed_response_promise<write_outcome> create_channel(room_self self, channel_request& req) {
  auto& st = self->state;
  if (!st.p.row.owner_id)
    return answer(
        self, failure(errc::forbidden, "the lobby has no owner: channels cannot be created in it"));
  if (!access::may_create_channel(st.p.row, req.from.user))
    return answer(self, failure(errc::forbidden, "only the room owner can create channels"));
  if (req.row.visibility == storage::channel_visibility::personal && !req.invite_logins.empty())
    return answer(self, failure(errc::bad_request, "a personal channel has no invitees"));
  req.row.room_id = st.p.row.id;
  auto rp = self->make_response_promise<write_outcome>();
  access::member_set members{req.from.user.id};
  resolve_logins(
      self, req.invite_logins,
      [self, rp, row = req.row, members,
       creator = req.from.user](std::vector<storage::user_row>& users) mutable {
        // As for a DM: an invitee the room does not let in could never read the channel.
        for (auto& u : users)
          if (!can_enter(self->state, u)) {
            rp.deliver(failure(errc::forbidden, u.login + " has no access to this room"));
            return;
          }
        std::vector<storage::user_row> joined{creator};
        for (auto& u : users)
          if (members.insert(u.id).second) joined.push_back(u);
        create_and_announce(self, rp, std::move(row), std::move(members), false, std::move(joined));
      },
      [rp](const error_info& e) mutable { rp.deliver(failure(e)); });
  return rp;
}

caf::typed_response_promise<write_outcome> open_dm(room_self self, dm_request& req) {
  auto& st = self->state;
  if (!can_enter(st, req.from.user))
    return answer(self, failure(errc::forbidden, "this room is whitelist-only"));
  if (req.logins.empty() || req.logins.size() > 16)
    return answer(self, failure(errc::bad_request, "logins must name 1..16 people"));
  auto rp = self->make_response_promise<write_outcome>();
  resolve_logins(
      self, req.logins,
      [self, rp, from = req.from](std::vector<storage::user_row>& users) mutable {
        auto& st = self->state;
        std::vector<storage::user_row> parties{from.user};
        for (auto& u : users)
          if (u.id != from.user.id) parties.push_back(u);
        if (parties.size() < 2) {
          rp.deliver(failure(errc::bad_request, "a DM needs someone besides you"));
          return;
        }
        for (auto& u : parties)
          if (!can_enter(st, u)) {
            rp.deliver(failure(errc::forbidden, u.login + " has no access to this room"));
            return;
          }
        std::sort(parties.begin(), parties.end(),
                  [](auto& a, auto& b) { return a.login < b.login; });
        std::vector<std::string> ids;
        std::string name;
        for (auto& u : parties) {
          ids.push_back(u.id);
          name += (name.empty() ? "" : ", ") + u.login;
        }
        std::sort(ids.begin(), ids.end());
        std::string key;
        for (auto& id : ids) key += id + ",";
        // The slug is a function of the parties, so the store's unique (room, slug)
        // makes "created once, reused after" hold even across nodes.
        auto slug = "dm-" + sha256_hex(key).substr(0, 24);
        for (auto& [id, ch] : st.channels)
          if (ch.row.slug == slug) {
            write_outcome out;
            out.channel = ch.row;
            out.channel->member_count = static_cast<std::int64_t>(ch.members.size());
            out.duplicate = true;
            {
              rp.deliver(std::move(out));
              return;
            }
          }
        storage::channel_row row;
        row.id = make_id("ch");
        row.room_id = st.p.row.id;
        row.slug = slug;
        row.name = name;
        row.visibility = storage::channel_visibility::dm;
        row.created_by = from.user.id;
        row.created_at = now_ms();
        create_and_announce(self, rp, std::move(row), {ids.begin(), ids.end()}, true);
      },
      [rp](const error_info& e) mutable { rp.deliver(failure(e)); });
  return rp;
}

caf::typed_response_promise<write_outcome> delete_channel(room_self self, const principal& who,
                                                          const std::string& channel_id) {
  auto& st = self->state;
  if (channel_id.empty())
    return answer(self, failure(errc::bad_request, "the room-wide thread cannot be deleted"));
  auto* ch = visible_channel(st, channel_id, who.user);
  if (!ch || !can_enter(st, who.user))
    return answer(self, failure(errc::not_found, "no such channel"));
  if (!access::may_delete_channel(st.p.row, ch->row, who.user))
    return answer(self, failure(errc::forbidden,
                                "only the room owner or the channel's creator can delete it"));
  auto rp = self->make_response_promise<write_outcome>();
  store_call(
      self, st.p.writer, [channel_id](storage::store& db) { return db.delete_channel(channel_id); },
      [self, rp, channel_id]() mutable {
        auto& st = self->state;
        auto it = st.channels.find(channel_id);
        if (it == st.channels.end()) {
          rp.deliver(failure(errc::not_found, "no such channel"));
          return;
        }
        auto f = make_frame(codec::encode_channel_deleted(channel_id));
        for (auto& [id, sub] : st.subs)
          if (can_see(it->second, sub.who.user)) sub.sink->push(f);
        write_outcome out;
        out.channel = it->second.row;
        // Unlinked first: the channel's exit must not take the room down with it.
        self->unlink_from(it->second.actor);
        self->send_exit(it->second.actor, caf::exit_reason::user_shutdown);
        st.channels.erase(it);
        tell_other_nodes(self);
        rp.deliver(std::move(out));
      },
      [rp](const error_info& e) mutable { rp.deliver(failure(e)); });
  return rp;
}

caf::typed_response_promise<storage::expected<storage::room_row>> update_room(
    room_self self, const principal& who, storage::room_patch& patch) {
  using R = storage::expected<storage::room_row>;
  auto& st = self->state;
  if (!st.p.row.owner_id)
    return refused<storage::room_row>(self, errc::forbidden, "the lobby has no owner");
  if (!owns(st, who))
    return refused<storage::room_row>(self, errc::forbidden, "only the owner can do this");
  auto rp = self->make_response_promise<R>();
  store_call(
      self, st.p.writer,
      [id = st.p.row.id, patch](storage::store& db) { return db.update_room(id, patch); },
      [self, rp](storage::room_row& row) mutable {
        auto& st = self->state;
        st.p.row = row;
        // Gating a room shuts out whoever is no longer let in, at once, and before the
        // new look goes to those who stay.
        shut_out(self);
        auto f = make_frame(codec::encode_branding(st.p.row, st.owner));
        for (auto& [id, sub] : st.subs) sub.sink->push(f);
        tell_other_nodes(self);
        rp.deliver(R{std::move(row)});
      },
      [rp](const error_info& e) mutable { rp.deliver(R{e}); });
  return rp;
}

// Runs an owner-only store call and answers its result.
// `store` is the writer or the reader pool.
template <class T, class Store, class F, class After>
caf::typed_response_promise<storage::expected<T>> owner_call(room_self self, const principal& who,
                                                             const Store& store, F fn,
                                                             After after) {
  using R = storage::expected<T>;
  if (!owns(self->state, who))
    return refused<T>(self, errc::forbidden, "only the room owner can do this");
  auto rp = self->make_response_promise<R>();
  store_call(
      self, store, std::move(fn),
      [rp, after](T& value) mutable {
        after(value);
        rp.deliver(R{std::move(value)});
      },
      [rp](const error_info& e) mutable { rp.deliver(R{e}); });
  return rp;
}

// A decision and the whitelist it leaves behind, read in the same transaction.
struct decision {
  storage::access_request_row request;
  std::vector<storage::whitelist_row> whitelist;
};

}  // namespace

room_manage_actor::behavior_type room_management(room_self self) {
  using wl_list = std::vector<storage::whitelist_row>;
  using requests = std::vector<storage::access_request_row>;
  return {
      [=](create_atom, channel_request& req) { return create_channel(self, req); },
      [=](dm_atom, dm_request& req) { return open_dm(self, req); },
      [=](delete_atom, channels_atom, const principal& who, const std::string& channel_id) {
        return delete_channel(self, who, channel_id);
      },
      [=](update_atom, const principal& who, storage::room_patch& patch) {
        return update_room(self, who, patch);
      },
      [=](whitelist_atom, const principal& who) {
        if (!owns(self->state, who)) return refused<wl_list>(self, errc::forbidden, "owner only");
        return answer(self, storage::expected<wl_list>{self->state.whitelist});
      },
      [=](whitelist_atom, add_atom, const principal& who, storage::whitelist_row& row) {
        row.room_id = self->state.p.row.id;
        row.added_by = who.user.id;
        return owner_call<storage::whitelist_row>(
            self, who, self->state.p.writer,
            [row](storage::store& db) -> storage::expected<storage::whitelist_row> {
              auto added = db.add_whitelist(row);
              if (!added || row.login.empty()) return added;
              // Listed by login: a member of the room (GET /members), and the hooks hear
              // of it in this transaction. A login nobody has yet joins no one.
              auto u = db.find_user_by_login(row.login);
              if (!u)
                return u.not_found() ? added : storage::expected<storage::whitelist_row>{u.error()};
              if (auto hooked = webhook_outbox::member_joined(db, row.room_id, "", *u); !hooked)
                return hooked.error();
              return added;
            },
            [self](const storage::whitelist_row& w) {
              self->state.whitelist.push_back(w);
              tell_other_nodes(self);
            });
      },
      [=](whitelist_atom, remove_atom, const principal& who, const std::string& entry_id) {
        return owner_call<storage::whitelist_row>(
            self, who, self->state.p.writer,
            [room = self->state.p.row.id, entry_id](storage::store& db) {
              return db.remove_whitelist(room, entry_id);
            },
            // Whoever the entry let in and nothing else does is shut out at once (1008),
            // on every node: nothing of a gated room reaches those who cannot enter it.
            [self](const storage::whitelist_row& w) {
              std::erase_if(self->state.whitelist, [&](auto& e) { return e.id == w.id; });
              shut_out(self);
              tell_other_nodes(self);
            });
      },
      [=](access_atom, const principal& who, const std::string& note) {
        using R = storage::expected<storage::access_request_row>;
        auto& st = self->state;
        if (!st.p.row.owner_id || !st.p.row.whitelist_only)
          return refused<storage::access_request_row>(self, errc::conflict,
                                                      "this room is open: no request needed");
        if (can_enter(st, who.user))
          return refused<storage::access_request_row>(self, errc::conflict,
                                                      "you already have access");
        auto rp = self->make_response_promise<R>();
        storage::access_request_row row;
        row.room_id = st.p.row.id;
        row.user_id = who.user.id;
        row.login = who.user.login;
        row.note = note;
        row.state = storage::request_state::pending;
        store_call(
            self, st.p.writer,
            [row, owner = *st.p.row.owner_id, slug = st.p.row.slug](storage::store& db) {
              auto r = db.create_access_request(row);
              if (r) {
                // The owner's notification is written in the same transaction.
                storage::notification_row n;
                n.user_id = owner;
                n.kind = "access_request";
                n.room_id = row.room_id;
                n.ref_id = r->id;
                n.body = codec::encode_access_notification(slug, *r);
                // A failure aborts the batch, which then answers it.
                if (auto made = db.create_notification(n); made.failed()) return R{made.error()};
              }
              return r;
            },
            [rp](storage::access_request_row& r) mutable { rp.deliver(R{std::move(r)}); },
            [rp](const error_info& e) mutable { rp.deliver(R{e}); });
        return rp;
      },
      [=](access_atom, list_atom, const principal& who) {
        return owner_call<requests>(
            self, who, self->state.p.readers,
            [room = self->state.p.row.id](storage::store& db) {
              return db.list_access_requests(room, storage::request_state::pending);
            },
            [](const requests&) {});
      },
      [=](access_atom, decide_atom, const principal& who, const std::string& id, bool approve) {
        using R = storage::expected<storage::access_request_row>;
        if (!owns(self->state, who))
          return refused<storage::access_request_row>(self, errc::forbidden, "owner only");
        auto rp = self->make_response_promise<R>();
        store_call(
            self, self->state.p.writer,
            [room = self->state.p.row.id, id, approve,
             by = who.user.id](storage::store& db) -> storage::expected<decision> {
              auto r = db.decide_access_request(room, id, approve, by, now_ms());
              if (!r) return r.error();
              if (approve) {
                // Let into the room: its hooks hear of the new member in this transaction.
                auto u = db.find_user(r->user_id);
                if (!u) return u.error();
                if (auto hooked = webhook_outbox::member_joined(db, room, "", *u); !hooked)
                  return hooked.error();
              }
              auto whitelist = db.list_whitelist(room);
              if (!whitelist) return whitelist.error();
              return decision{std::move(*r), std::move(*whitelist)};
            },
            [self, rp](decision& d) mutable {
              self->state.whitelist = std::move(d.whitelist);
              tell_other_nodes(self);
              rp.deliver(R{std::move(d.request)});
            },
            [rp](const error_info& e) mutable { rp.deliver(R{e}); });
        return rp;
      },
      [=](members_atom, const principal& who) {
        using users = std::vector<storage::user_row>;
        using R = storage::expected<users>;
        if (!can_enter(self->state, who.user))
          return refused<users>(self, errc::forbidden, "whitelist-only");
        auto rp = self->make_response_promise<R>();
        store_call(
            self, self->state.p.readers,
            [room = self->state.p.row.id](storage::store& db) {
              return db.list_room_members(room);
            },
            [rp](users& members) mutable { rp.deliver(R{std::move(members)}); },
            [rp](const error_info& e) mutable { rp.deliver(R{e}); });
        return rp;
      },
  };
}

}  // namespace relay
