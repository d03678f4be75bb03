#include "actors/chat/room.hpp"

#include "core/metrics.hpp"

#include <spdlog/spdlog.h>

#include "actors/chat/channel.hpp"
#include "actors/chat/content_rules.hpp"
#include "actors/chat/room_state.hpp"
#include "actors/store_call.hpp"
#include "actors/store_reader.hpp"
#include "protocol/json_codec.hpp"

namespace relay {

void add_channel(room_self self, storage::channel_row row, access::member_set members, bool fresh,
                 const frame_ptr& announce) {
  auto& st = self->state;
  channel_params cp{st.p.row.id,
                    row,
                    st.p.writer,
                    st.p.readers,
                    st.p.ring_messages,
                    st.p.sync_messages,
                    st.p.page_cache_bytes,
                    fresh,
                    self,
                    st.p.cluster};
  auto a = spawn_channel(self, std::move(cp));
  auto id = row.id;
  auto& entry = st.channels[id] = {std::move(row), std::move(a), std::move(members)};
  if (!announce) return;
  for (auto& [sink_id, sub] : st.subs) {
    if (!can_see(entry, sub.who.user)) continue;
    self->send(entry.actor, subscribe_atom::value, sub);
    if (announce) sub.sink->push(announce);
  }
}

namespace {

write_outcome failure(errc c, std::string msg) {
  write_outcome out;
  out.error = make_error(c, std::move(msg));
  return out;
}

std::vector<std::string> visible_ids(const room_state& st, const storage::user_row& u) {
  std::vector<std::string> out;
  for (auto& [id, ch] : st.channels)
    if (can_see(ch, u)) out.push_back(id);
  return out;
}

// A post starting with a registered bot's reply prefix is shown as that bot's reply
// (`bot`: its login; the longest prefix wins). The built-in `yeeyee:` stays "yee".
std::string registered_bot_tag(const room_state& st, std::string_view content) {
  if (!bot_tag(content).empty()) return {};
  const storage::bot_row* best = nullptr;
  for (auto& b : st.bots)
    if (!b.prefix.empty() && content.starts_with(b.prefix) &&
        (!best || b.prefix.size() > best->prefix.size()))
      best = &b;
  return best ? best->user.login : std::string{};
}

// Sends a write to the store writer and, once it is committed, hands the changed
// message to its channel (`Mirror` atom) to update the ring and broadcast. A message the
// writer does not find may have moved to the archive: the archiver, when there is one,
// applies the same write there with the same rules.
// In cluster mode the other nodes' rooms mirror it too (`kind`).
template <class Mirror, class... Ts>
caf::typed_response_promise<write_outcome> write_and_mirror(room_self self, Mirror mirror,
                                                            codec::cluster_event::kind kind,
                                                            Ts... xs) {
  auto rp = self->make_response_promise<write_outcome>();
  auto done = [=](write_outcome& out) mutable {
    auto it = self->state.channels.find(out.message.channel_id);
    if (!out.error && it != self->state.channels.end())
      self->send(it->second.actor, mirror, out.message);
    if (!out.error && self->state.p.cluster)
      self->state.p.cluster->publish(codec::about_message(kind, self->state.p.row.id, out.message));
    // An edit may name someone new; whom the message notified already it does not again.
    bool may_mention = kind == codec::cluster_event::kind::edited && !out.error &&
                       out.message.content.find('@') != std::string::npos;
    if (may_mention) {
      // A root's edit: its mention opens the message, not the thread under it.
      auto edited = out.message;
      edited.thread_id.clear();
      notify_mentions(self, edited);
    }
    rp.deliver(std::move(out));
  };
  auto failed = [=](caf::error& err) mutable {
    rp.deliver(failure(errc::unavailable, to_string(err)));
  };
  // No timeout: the writer answers every write once its batch has committed or rolled
  // back; a timeout would report a failure for a change that still commits.
  self->request(self->state.p.writer, caf::infinite, xs...)
      .then(
          [=](write_outcome& out) mutable {
            auto archiver = self->state.p.archiver;
            if (out.error.code != errc::not_found || !archiver) return done(out);
            self->request(archiver, caf::infinite, xs...).then(done, failed);
          },
          failed);
  return rp;
}

// A reaction goes to the store writer like an edit; once committed, and only when it
// changed something, the channel updates its ring and broadcasts the event, and in cluster
// mode the other nodes' channels do too. Archived messages are not looked for: a reaction
// on one is `not_found` (docs/api.md).
caf::typed_response_promise<write_outcome> react(room_self self, react_request req) {
  auto rp = self->make_response_promise<write_outcome>();
  auto add = req.add;
  auto emoji = req.emoji;
  auto user = req.from.user;
  self->request(self->state.p.writer, caf::infinite, react_atom::value, self->state.p.row.id,
                std::move(req))
      .then(
          [=](write_outcome& out) mutable {
            if (!out.error && !out.duplicate) {
              auto text = codec::encode_reaction(add, out.message, emoji, user);
              auto& st = self->state;
              if (auto it = st.channels.find(out.message.channel_id); it != st.channels.end())
                self->send(it->second.actor, react_atom::value, out.message, make_frame(text));
              if (st.p.cluster) {
                auto e = codec::about_message(codec::cluster_event::kind::reacted, st.p.row.id,
                                              out.message);
                e.text = std::move(text);
                st.p.cluster->publish(std::move(e));
              }
            }
            rp.deliver(std::move(out));
          },
          [=](caf::error& err) mutable { rp.deliver(failure(errc::unavailable, to_string(err))); });
  return rp;
}

void load(room_self self) {
  auto box = std::make_shared<room_load>();
  box->row = self->state.p.row;
  auto job = read_room(box);
  // `await`: nothing else is handled until the room knows who may see what. A read that
  // does not come ends the room (as a failed one does): the directory spawns a new one on
  // the next lookup.
  self->request(self->state.p.readers, store_read_timeout, job_atom::value, std::move(job))
      .await(
          [self, box](bool ok) {
            if (!ok) return self->quit(caf::make_error(caf::sec::runtime_error, "room load"));
            if (box->failure)
              return self->quit(caf::make_error(caf::sec::runtime_error, box->failure.message));
            auto& st = self->state;
            auto members = members_by_channel(*box);
            for (auto& r : box->channels) {
              auto id = r.id;
              add_channel(self, std::move(r), std::move(members[id]), false);
            }
            st.whitelist = std::move(box->whitelist);
            st.bots = std::move(box->bots);
            st.owner = std::move(box->owner);
          },
          [self](caf::error& err) { self->quit(err); });
}

// Once a second a probe goes through the room's mailbox: its wait is what the backlog
// in front of it costs, and the room counts what is still queued behind it.
void probe_mailbox(room_self self) {
  auto due = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  self->delayed_send(self, std::chrono::seconds(1), sample_atom::value,
                     static_cast<std::int64_t>(due.time_since_epoch().count()));
}

void probed(std::int64_t due) {
  auto waited = std::chrono::steady_clock::now().time_since_epoch().count() - due;
  std::chrono::steady_clock::duration d(std::max<std::int64_t>(waited, 0));
  metrics::get().room_mailbox_wait.observe(std::chrono::duration<double>(d).count());
}

// Another node's event in this room, applied as this node's own would be. Events of a
// channel this node does not know yet are dropped: its channels catch up when the
// room's own changes reach it (a room event names no channel: the room-wide thread's
// entry, always present, lets it through to the switch).
void from_other_node(room_self self, const codec::cluster_event& e) {
  using kind = codec::cluster_event::kind;
  auto& st = self->state;
  bool about_message = e.what == kind::message || e.what == kind::edited ||
                       e.what == kind::deleted || e.what == kind::reacted;
  auto it = st.channels.find(about_message ? e.message.channel_id : e.channel_id);
  if (it == st.channels.end()) return;
  auto& ch = it->second.actor;
  switch (e.what) {
    case kind::message:
      self->send(ch, cluster_atom::value, e.message);
      break;
    case kind::edited:
      self->send(ch, edit_atom::value, e.message);
      break;
    case kind::deleted:
      self->send(ch, delete_atom::value, e.message);
      break;
    case kind::typing: {
      principal who;
      who.user.id = e.user.id;
      who.user.login = e.user.login;
      who.user.name = e.user.name;
      who.user.avatar_url = e.user.avatar_url;
      self->send(ch, typing_atom::value, who);
      break;
    }
    case kind::room:
      reload(self, e.slug);
      break;
    case kind::frame:
      self->send(ch, broadcast_atom::value, make_frame(e.text, {}, e.ephemeral));
      break;
    case kind::reacted:
      self->send(ch, react_atom::value, e.message, make_frame(e.text));
      break;
    case kind::threaded:
      thread_from_other_node(self, e);
      break;
  }
}

room_traffic_actor::behavior_type live_traffic(room_self self) {
  return {
      [=](join_atom, const subscription& sub, const caf::actor& conn) {
        auto& st = self->state;
        if (!can_enter(st, sub.who.user)) return -1;
        st.subs[sub.sink->id()] = sub;
        presence_opened(self, sub.who.user);
        int n = 0;
        for (auto& [id, ch] : st.channels) {
          if (!can_see(ch, sub.who.user)) continue;
          self->send(ch.actor, subscribe_atom::value, sub, conn);
          ++n;
        }
        return n;
      },
      [=](leave_atom, std::uint64_t sink_id) {
        auto& st = self->state;
        auto it = st.subs.find(sink_id);
        if (it != st.subs.end()) {
          auto user_id = it->second.who.user.id;
          st.subs.erase(it);
          presence_closed(self, user_id);
        }
        for (auto& [id, ch] : st.channels) self->send(ch.actor, unsub_atom::value, sink_id);
      },
      [=](post_atom, post_request& req) -> caf::result<write_outcome> {
        auto& st = self->state;
        if (!can_enter(st, req.from.user))
          return failure(errc::forbidden, "this room is whitelist-only");
        auto* ch = visible_channel(st, req.channel_id, req.from.user);
        if (!ch) return failure(errc::not_found, "no such channel in this room");
        req.bot = registered_bot_tag(st, req.content);
        self->delegate(ch->actor, post_atom::value, std::move(req));
        return caf::delegated<write_outcome>{};
      },
      [=](edit_atom, edit_request& req) {
        req.visible_channels = visible_ids(self->state, req.from.user);
        return write_and_mirror(self, edit_atom::value, codec::cluster_event::kind::edited,
                                edit_atom::value, self->state.p.row.id, std::move(req));
      },
      [=](delete_atom, delete_request& req) {
        req.visible_channels = visible_ids(self->state, req.from.user);
        auto owner = self->state.p.row.owner_id.value_or("");
        return write_and_mirror(self, delete_atom::value, codec::cluster_event::kind::deleted,
                                delete_atom::value, self->state.p.row.id, std::move(owner),
                                std::move(req));
      },
      [=](react_atom, react_request& req) {
        req.visible_channels = visible_ids(self->state, req.from.user);
        return react(self, std::move(req));
      },
      [=](info_atom, const principal& who) {
        auto& st = self->state;
        room_info info{
            st.p.row, st.owner, {}, can_enter(st, who.user), access::is_owner(st.p.row, who.user)};
        if (!info.may_enter) return info;
        for (auto& [id, ch] : st.channels) {
          if (id.empty() || !can_see(ch, who.user)) continue;
          info.channels.push_back(ch.row);
          info.channels.back().member_count = static_cast<std::int64_t>(ch.members.size());
        }
        return info;
      },
      [=](typing_atom, const std::string& channel_id, const principal& who) {
        auto* ch = visible_channel(self->state, channel_id, who.user);
        if (ch) self->send(ch->actor, typing_atom::value, who);
        if (ch && self->state.p.cluster) {
          codec::cluster_event e;
          e.what = codec::cluster_event::kind::typing;
          e.room_id = self->state.p.row.id;
          e.channel_id = channel_id;
          e.user = {who.user.id, who.user.login, who.user.name, who.user.avatar_url};
          self->state.p.cluster->publish(std::move(e));
        }
        return ch != nullptr;  // false: no such channel for this user (an error frame)
      },
      [=](cluster_atom, const codec::cluster_event& e) { from_other_node(self, e); },
      [=](cluster_atom, resync_atom) {
        for (auto& [id, ch] : self->state.channels)
          self->send(ch.actor, cluster_atom::value, resync_atom::value);
      },
      [=](sample_atom, std::int64_t due) {
        probed(due);
        // Only the actor itself may count its mailbox (the count takes in what has arrived).
        metrics::get().room_mailbox.observe(static_cast<double>(self->mailbox().size()));
        probe_mailbox(self);
      },
  };
}

room_actor::behavior_type room(room_self self, room_params params) {
  self->state.p = std::move(params);
  // Before the load: an event that arrives meanwhile waits in the mailbox.
  if (self->state.p.cluster)
    self->state.p.cluster->join(self->state.p.row.id, caf::actor_cast<caf::actor>(self));
  add_channel(self, storage::channel_row{}, {}, false);
  load(self);
  probe_mailbox(self);
  // Each part is checked against its own interface in its own file; `room_actor` is
  // exactly the six together (fwd.hpp), so joining them cannot miss a message.
  auto part = [](auto bhvr) { return caf::message_handler{bhvr.unbox().as_behavior_impl()}; };
  auto all = part(live_traffic(self))
                 .or_else(part(room_management(self)))
                 .or_else(part(room_bots(self)))
                 .or_else(part(room_presence(self)))
                 .or_else(part(room_threads(self)))
                 .or_else(part(room_boards(self)));
  return {room_actor::behavior_type::unsafe_init{}, std::move(all)};
}

}  // namespace

room_actor spawn_room(caf::local_actor* parent, room_params params) {
  return parent->spawn(room, std::move(params));
}

}  // namespace relay
