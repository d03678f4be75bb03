#include "actors/room.hpp"

#include <map>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/channel.hpp"
#include "actors/messages.hpp"
#include "transport/codec/json_codec.hpp"

namespace relay {

namespace {

struct channel_entry {
  storage::channel_row row;
  caf::actor actor;
};

struct room_state {
  room_params p;
  std::optional<storage::user_row> owner;
  std::map<std::string, channel_entry> channels;  // "" = room-wide thread
  std::unordered_map<std::uint64_t, subscription> subs;
  static inline const char* name = "room";
};

using room_actor = caf::stateful_actor<room_state>;

void add_channel(room_actor* self, storage::channel_row row, bool fresh) {
  auto& st = self->state;
  channel_params cp{st.p.row.id,        row,  st.p.writer, st.p.readers, st.p.ring_messages,
                    st.p.sync_messages, fresh};
  auto a = spawn_channel(self, std::move(cp));
  auto id = row.id;
  st.channels[id] = {std::move(row), std::move(a)};
}

write_outcome failure(errc c, std::string msg) {
  write_outcome out;
  out.error = make_error(c, std::move(msg));
  return out;
}

// Sends a write to the store writer and, once it is committed, hands the changed
// message to its channel (`Mirror` atom) to update the ring and broadcast.
template <class Mirror, class... Ts>
caf::typed_response_promise<write_outcome> write_and_mirror(room_actor* self, Mirror mirror,
                                                            Ts&&... xs) {
  auto rp = self->make_response_promise<write_outcome>();
  self->request(self->state.p.writer, caf::infinite, std::forward<Ts>(xs)...)
      .then(
          [=](write_outcome& out) mutable {
            auto it = self->state.channels.find(out.message.channel_id);
            if (!out.error && it != self->state.channels.end())
              self->send(it->second.actor, mirror, out.message);
            rp.deliver(std::move(out));
          },
          [=](caf::error& err) mutable { rp.deliver(failure(errc::unavailable, to_string(err))); });
  return rp;
}

caf::behavior room(room_actor* self, room_params params) {
  self->state.p = std::move(params);
  add_channel(self, storage::channel_row{}, false);
  // Hold every request until the channel list and owner are known.
  self->request(self->state.p.readers, caf::infinite, channels_atom::value, self->state.p.row.id)
      .await(
          [self](std::vector<storage::channel_row>& rows) {
            for (auto& r : rows) add_channel(self, std::move(r), false);
          },
          [self](caf::error& err) { self->quit(err); });
  if (auto& owner_id = self->state.p.row.owner_id)
    self->request(self->state.p.readers, caf::infinite, info_atom::value, *owner_id)
        .await([self](std::optional<storage::user_row>& u) { self->state.owner = std::move(u); },
               [self](caf::error& err) { self->quit(err); });
  return {
      [=](join_atom, const subscription& sub, const caf::actor& conn) {
        auto& st = self->state;
        st.subs[sub.sink->id()] = sub;
        for (auto& [id, ch] : st.channels) self->send(ch.actor, subscribe_atom::value, sub, conn);
        return static_cast<int>(st.channels.size());
      },
      [=](leave_atom, std::uint64_t sink_id) {
        auto& st = self->state;
        st.subs.erase(sink_id);
        for (auto& [id, ch] : st.channels) self->send(ch.actor, unsub_atom::value, sink_id);
      },
      [=](post_atom, post_request& req) -> caf::result<write_outcome> {
        auto it = self->state.channels.find(req.channel_id);
        if (it == self->state.channels.end())
          return failure(errc::not_found, "no such channel in this room");
        self->delegate(it->second.actor, post_atom::value, std::move(req));
        return caf::delegated<write_outcome>{};
      },
      [=](edit_atom, edit_request& req) {
        return write_and_mirror(self, edit_atom::value, edit_atom::value, self->state.p.row.id,
                                std::move(req));
      },
      [=](delete_atom, delete_request& req) {
        auto owner = self->state.p.row.owner_id.value_or("");
        return write_and_mirror(self, delete_atom::value, delete_atom::value, self->state.p.row.id,
                                std::move(owner), std::move(req));
      },
      [=](create_atom, storage::channel_row& row) {
        auto rp = self->make_response_promise<write_outcome>();
        row.room_id = self->state.p.row.id;
        self->request(self->state.p.writer, caf::infinite, create_atom::value, std::move(row))
            .then(
                [=](write_outcome& out) mutable {
                  if (!out.error && out.channel) {
                    auto& st = self->state;
                    add_channel(self, *out.channel, true);
                    auto& ch = st.channels[out.channel->id].actor;
                    auto f = make_frame(codec::encode_channel_created(*out.channel));
                    for (auto& [id, sub] : st.subs) {
                      self->send(ch, subscribe_atom::value, sub);
                      sub.sink->push(f);
                    }
                  }
                  rp.deliver(std::move(out));
                },
                [=](caf::error& err) mutable {
                  rp.deliver(failure(errc::unavailable, to_string(err)));
                });
        return rp;
      },
      [=](info_atom) {
        auto& st = self->state;
        room_info info{st.p.row, st.owner, {}};
        for (auto& [id, ch] : st.channels)
          if (!id.empty()) info.channels.push_back(ch.row);
        return info;
      },
      [=](typing_atom, const std::string& channel_id, const principal& who) {
        if (auto it = self->state.channels.find(channel_id); it != self->state.channels.end())
          self->send(it->second.actor, typing_atom::value, who);
      },
  };
}

}  // namespace

caf::actor spawn_room(caf::local_actor* parent, room_params params) {
  return parent->spawn(room, std::move(params));
}

}  // namespace relay
