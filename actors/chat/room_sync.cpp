// A room's state as the store holds it, and keeping the room actors of several nodes in
// step (cluster mode): the node that commits a change of the room's settings, channels,
// whitelist or bots applies it and tells the others, which read the room again and apply
// the difference with the same frames to their clients.

#include <set>

#include <spdlog/spdlog.h>

#include "actors/chat/channel.hpp"
#include "actors/chat/room_state.hpp"
#include "actors/store_reader.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/room_codec.hpp"

namespace relay {

store_job read_room(std::shared_ptr<room_load> box) {
  return [box](storage::store& db) {
    // Each read lands in its field or stops the load with its error.
    auto read = [&box](auto r, auto& into) {
      if (!r)
        box->failure = r.error();
      else
        into = std::move(*r);
      return !box->failure;
    };
    if (box->by_slug && !read(db.find_room_by_slug(box->row.slug), box->row)) return;
    const auto& id = box->row.id;
    if (!read(db.list_channels(id), box->channels) ||
        !read(db.list_channel_members(id), box->members) ||
        !read(db.list_whitelist(id), box->whitelist) || !read(db.list_bots(id), box->bots))
      return;
    if (box->row.owner_id) read(storage::maybe(db.find_user(*box->row.owner_id)), box->owner);
  };
}

std::map<std::string, access::member_set> members_by_channel(const room_load& box) {
  std::map<std::string, access::member_set> members;
  for (auto& m : box.members) members[m.channel_id].insert(m.user_id);
  return members;
}

void shut_out(room_self self) {
  auto& st = self->state;
  std::vector<std::string> gone;
  std::erase_if(st.subs, [&](auto& kv) {
    if (can_enter(st, kv.second.who.user)) return false;
    for (auto& [cid, ch] : st.channels) self->send(ch.actor, unsub_atom::value, kv.first);
    kv.second.sink->close(1008, "no longer let into this room");
    gone.push_back(kv.second.who.user.id);
    return true;
  });
  for (auto& user_id : gone) presence_closed(self, user_id);
}

void tell_other_nodes(room_self self) {
  auto& st = self->state;
  if (!st.p.cluster) return;
  codec::cluster_event e;
  e.what = codec::cluster_event::kind::room;
  e.room_id = st.p.row.id;
  e.slug = st.p.row.slug;
  st.p.cluster->publish(std::move(e));
}

namespace {

bool same_look(const storage::room_row& a, const storage::room_row& b) {
  return a.slug == b.slug && a.display_name == b.display_name && a.description == b.description &&
         a.accent_colors == b.accent_colors && a.avatar_url == b.avatar_url &&
         a.owner_id == b.owner_id && a.whitelist_only == b.whitelist_only;
}

void push_to_viewers(room_state& st, const channel_entry& ch, const frame_ptr& f) {
  for (auto& [id, sub] : st.subs)
    if (can_see(ch, sub.who.user)) sub.sink->push(f);
}

void apply(room_self self, room_load& box) {
  auto& st = self->state;
  const bool restyled = !same_look(st.p.row, box.row);
  if (box.row.slug != st.p.row.slug && st.p.directory)
    self->send(st.p.directory, update_atom::value, st.p.row.slug, box.row.slug,
               caf::actor_cast<room_actor>(self));
  st.p.row = std::move(box.row);
  st.whitelist = std::move(box.whitelist);
  st.bots = std::move(box.bots);
  st.owner = std::move(box.owner);
  // Gated, or a whitelist entry removed on another node: whoever is no longer let in
  // goes now (before any new look reaches those who stay), not when their socket
  // happens to close.
  shut_out(self);
  if (restyled) {
    auto f = make_frame(codec::encode_branding(st.p.row, st.owner));
    for (auto& [id, sub] : st.subs) sub.sink->push(f);
  }
  auto members = members_by_channel(box);
  std::set<std::string> present{""};  // the room-wide thread is never deleted
  for (auto& row : box.channels) present.insert(row.id);
  for (auto it = st.channels.begin(); it != st.channels.end();) {
    if (present.count(it->first) > 0) {
      it->second.members = members[it->first];
      ++it;
      continue;
    }
    push_to_viewers(st, it->second, make_frame(codec::encode_channel_deleted(it->first)));
    // Unlinked first: the channel's exit must not take the room down with it.
    self->unlink_from(it->second.actor);
    self->send_exit(it->second.actor, caf::exit_reason::user_shutdown);
    it = st.channels.erase(it);
  }
  for (auto& row : box.channels) {
    if (st.channels.count(row.id) > 0) continue;
    auto& m = members[row.id];
    row.member_count = static_cast<std::int64_t>(m.size());
    auto f = make_frame(row.visibility == storage::channel_visibility::dm
                            ? codec::encode_direct_created(row)
                            : codec::encode_channel_created(row));
    auto id = row.id;
    add_channel(self, std::move(row), std::move(m), false, f);
  }
}

}  // namespace

void reload(room_self self, const std::string& slug) {
  auto box = std::make_shared<room_load>();
  box->row.slug = slug;
  box->by_slug = true;
  self->request(self->state.p.readers, store_read_timeout, job_atom::value, read_room(box))
      .then(
          [self, box](bool ok) {
            if (!ok || box->failure) {
              spdlog::warn("room '{}': cannot reload after another node's change: {}",
                           self->state.p.row.slug, box->failure.message);
              return;
            }
            if (box->row.id != self->state.p.row.id) return;  // the slug went to another room
            apply(self, *box);
          },
          [self](caf::error& err) {
            spdlog::warn("room '{}': cannot reload after another node's change: {}",
                         self->state.p.row.slug, to_string(err));
          });
}

}  // namespace relay
