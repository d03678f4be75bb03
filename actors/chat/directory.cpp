#include "actors/chat/directory.hpp"

#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/chat/room.hpp"
#include "actors/messages.hpp"
#include "actors/store_reader.hpp"

namespace relay {

namespace {

struct directory_state {
  directory_params p;
  std::unordered_map<std::string, room_actor> rooms;
  // Lookups waiting for the same slug's store read, so a room is spawned once.
  std::unordered_map<std::string, std::vector<caf::typed_response_promise<room_actor>>> pending;
  static inline const char* name = "directory";
};

using directory_self = room_directory_actor::stateful_pointer<directory_state>;

void resolve(directory_self self, const std::string& slug, const room_actor& room) {
  auto waiting = std::move(self->state.pending[slug]);
  self->state.pending.erase(slug);
  for (auto& rp : waiting) rp.deliver(room);
}

room_directory_actor::behavior_type directory(directory_self self, directory_params params) {
  self->state.p = std::move(params);
  self->set_down_handler([self](caf::down_msg& dm) {
    // A room that died (e.g. its store read failed) is respawned on next use.
    std::erase_if(self->state.rooms, [&](auto& kv) { return kv.second.address() == dm.source; });
  });
  self->set_exit_handler([self](caf::exit_msg& em) {
    // Shutdown: rooms go first, which closes every client with 1001 "going away".
    for (auto& [slug, room] : self->state.rooms) self->send_exit(room, em.reason);
    self->quit(em.reason);
  });
  return {
      [=](update_atom, const std::string& slug, const principal& who,
          storage::room_patch& patch) -> caf::result<storage::expected<storage::room_row>> {
        using R = storage::expected<storage::room_row>;
        auto it = self->state.rooms.find(slug);
        if (it == self->state.rooms.end()) return R{make_error(errc::not_found, "no such room")};
        auto rp = self->make_response_promise<R>();
        // `await`: no lookup may resolve the new slug (spawning a second actor for the
        // same room) or the old one before the rename is committed and re-keyed. No
        // timeout: the room answers once the writer has committed or rolled back, and
        // re-keying on a guess would split a room in two.
        self->request(it->second, caf::infinite, update_atom::value, who, std::move(patch))
            .await(
                [=](R& r) mutable {
                  auto& rooms = self->state.rooms;
                  if (r && r->slug != slug) {
                    if (auto old = rooms.find(slug); old != rooms.end()) {
                      rooms[r->slug] = old->second;
                      rooms.erase(slug);
                    }
                  }
                  rp.deliver(std::move(r));
                },
                [=](caf::error& err) mutable {
                  rp.deliver(R{make_error(errc::unavailable, to_string(err))});
                });
        return rp;
      },
      [=](update_atom, const std::string& old_slug, const std::string& new_slug,
          const room_actor& room) {
        auto& rooms = self->state.rooms;
        auto old = rooms.find(old_slug);
        if (old == rooms.end() || old->second != room) return;
        rooms.erase(old);
        // A lookup by the new slug may have spawned another actor of the room meanwhile:
        // it keeps the slug, and this one serves the clients it has until they leave.
        rooms.emplace(new_slug, room);
      },
      [=](room_atom, const std::string& slug) -> caf::result<room_actor> {
        auto& st = self->state;
        if (auto it = st.rooms.find(slug); it != st.rooms.end()) return it->second;
        auto rp = self->make_response_promise<room_actor>();
        auto& waiting = st.pending[slug];
        waiting.push_back(rp);
        if (waiting.size() > 1) return rp;
        self->request(st.p.readers, store_read_timeout, room_atom::value, slug)
            .then(
                [=](std::optional<storage::room_row>& row) {
                  if (!row) return resolve(self, slug, room_actor{});
                  auto& st = self->state;
                  room_params rp{std::move(*row),       st.p.writer,
                                 st.p.readers,          st.p.ring_messages,
                                 st.p.sync_messages,    st.p.page_cache_bytes,
                                 st.p.agent_hub,        st.p.archiver,
                                 st.p.cluster,          self,
                                 st.p.presence_ttl,     st.p.sessions,
                                 st.p.max_content_chars};
                  auto room = spawn_room(self, std::move(rp));
                  self->monitor(room);
                  st.rooms[slug] = room;
                  resolve(self, slug, room);
                },
                [=](caf::error& err) {
                  spdlog::error("room lookup failed: {}", to_string(err));
                  resolve(self, slug, room_actor{});
                });
        return rp;
      },
  };
}

}  // namespace

room_directory_actor spawn_directory(caf::actor_system& sys, directory_params params) {
  return sys.spawn(directory, std::move(params));
}

}  // namespace relay
