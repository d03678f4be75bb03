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
#include "actors/chat/presence.hpp"
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
  presence_state presence;
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

/// Spawns the channel's actor. With `announce`, a channel new to the room's clients:
/// subscribes every connected client who can see it and pushes them `announce`.
void add_channel(room_self self, storage::channel_row row, access::member_set members, bool fresh,
                 const frame_ptr& announce = nullptr);

// -- the room's state in the store, and keeping nodes in step (room_sync.cpp) ---------

/// Everything the room needs before it serves anyone: channels with their members, the
/// whitelist, the bots and the owner's profile.
struct room_load {
  storage::room_row row;  // read by slug first when `by_slug` is set
  bool by_slug = false;
  std::vector<storage::channel_row> channels;
  std::vector<storage::channel_member_row> members;
  std::vector<storage::whitelist_row> whitelist;
  std::optional<storage::user_row> owner;
  std::vector<storage::bot_row> bots;
  error_info failure;  // the first read that failed, if one did
};

/// The store job that fills `box`.
store_job read_room(std::shared_ptr<room_load> box);
std::map<std::string, access::member_set> members_by_channel(const room_load& box);

/// Closes the sockets of clients the room no longer lets in (it was just gated).
void shut_out(room_self self);

/// Cluster mode: after a change of the room's settings, channels, whitelist or bots is
/// committed, tells the other nodes to reload the room (a no-op on one node).
void tell_other_nodes(room_self self);
/// Another node changed the room: reads it again and applies the difference as if the
/// change had been made here (clients get the same frames).
void reload(room_self self, const std::string& slug);

/// The behaviour for owner and membership operations (room_manage.cpp).
room_manage_actor::behavior_type room_management(room_self self);

/// The behaviour for bots and @mentions of agents (room_bots.cpp).
room_bots_actor::behavior_type room_bots(room_self self);
/// Every agent-bound bot that stored message `m` @mentions (other than its author) gets
/// it as an event; the answer goes into `thread` when its id is set (`m` is a reply in
/// it), else into `m`'s channel.
void relay_bot_mentions(room_self self, const storage::message_row& m,
                        const storage::thread_row& thread);

// -- @mentions of people (room_mentions.cpp) ------------------------------------------

/// The mention work for one stored message row — a new message, an edit, or a thread
/// reply (its channel_id is the root's, its thread_id set: the notification then names
/// the thread; a top-level message's thread_id is empty): every `@login` outside code that names
/// someone in the room who can see the channel, other than the author, gets one `mention`
/// notification per message (an edit adds only the new ones), pushed live to their
/// sockets on every node. Asynchronous: it reads and writes the store off the caller's path.
void notify_mentions(room_self self, const storage::message_row& m);
/// Shows `n` on every socket its user holds, on this node and (cluster mode) the others.
void push_notification(room_self self, const storage::notification_row& n);

// -- threads (room_threads.cpp) ---------------------------------------------------------

/// The behaviour for creating threads, replying and checking who may read one.
room_threads_actor::behavior_type room_threads(room_self self);
/// Another node created a thread or took a reply (`threaded`): the root's channel here
/// mirrors the root and passes thread_updated on.
void thread_from_other_node(room_self self, const codec::cluster_event& e);

// -- boards (room_boards.cpp) -----------------------------------------------------------

/// The behaviour that passes board events to the room's clients.
room_boards_actor::behavior_type room_boards(room_self self);

// -- who is online (presence.cpp) ------------------------------------------------------

/// A socket of `u` joined the room (after it was added to `subs`).
void presence_opened(room_self self, const storage::user_row& u);
/// A socket of user `user_id` left the room (after it was removed from `subs`).
void presence_closed(room_self self, const std::string& user_id);
/// The behaviour for heartbeats, the listing and the presence timer.
room_presence_actor::behavior_type room_presence(room_self self);

}  // namespace relay
