#pragma once

#include <memory>

// The room actor's state, shared by its two behaviour files: room.cpp (live traffic)
// and room_manage.cpp (settings, channels, whitelist, access requests).

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/chat/access.hpp"
#include "actors/chat/fwd.hpp"
#include "actors/chat/room.hpp"
#include "actors/messages.hpp"

namespace relay {

struct channel_entry {
  storage::channel_row row;
  channel_actor actor;
  access::member_set members;
};

struct room_state {
  room_params p;  // p.row is kept current (renames, branding, whitelist mode)
  std::optional<storage::user_row> owner;
  std::vector<storage::whitelist_row> whitelist;
  std::map<std::string, channel_entry> channels;  // "" = room-wide thread
  std::unordered_map<std::uint64_t, subscription> subs;
  std::vector<storage::bot_row> bots;
  static inline const char* name = "room";
};

/// The room actor itself (`room_actor` is its handle).
using room_self = room_actor::stateful_pointer<room_state>;

inline bool can_enter(const room_state& st, const storage::user_row& u) {
  return access::may_enter(st.p.row, st.whitelist, u);
}

inline bool can_see(const channel_entry& ch, const storage::user_row& u) {
  return access::may_see(ch.row, ch.members, u);
}

/// The channel when it exists and `u` can see it; unknown and hidden look the same.
inline channel_entry* visible_channel(room_state& st, const std::string& id,
                                      const storage::user_row& u) {
  auto it = st.channels.find(id);
  if (it == st.channels.end() || !can_see(it->second, u)) return nullptr;
  return &it->second;
}

template <class T>
storage::expected<T> refuse(errc code, std::string msg) {
  return make_error(code, std::move(msg));
}

/// Spawns the channel's actor and subscribes every connected client who can see it,
/// pushing `announce` (if any) to them.
void add_channel(room_self self, storage::channel_row row, access::member_set members, bool fresh,
                 const frame_ptr& announce = nullptr);

/// The behaviour for owner and membership operations (room_manage.cpp).
room_manage_actor::behavior_type room_management(room_self self);

/// The behaviour for bots and @mentions of agents (room_bots.cpp).
room_bots_actor::behavior_type room_bots(room_self self);

}  // namespace relay
