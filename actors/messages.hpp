#pragma once

// Message types and atoms exchanged between Relay's actors. They never leave the
// process, so they are allowed as unsafe types instead of carrying serializers.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/resume_page.hpp"
#include "actors/sink.hpp"
#include "core/error.hpp"
#include "storage/rows.hpp"
#include "storage/store.hpp"

namespace relay {

// -- atoms (verbs) --------------------------------------------------------------

using access_atom = caf::atom_constant<caf::atom("access")>;
using add_atom = caf::atom_constant<caf::atom("add")>;
using archive_atom = caf::atom_constant<caf::atom("archive")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using decide_atom = caf::atom_constant<caf::atom("decide")>;
using dm_atom = caf::atom_constant<caf::atom("dm")>;
using job_atom = caf::atom_constant<caf::atom("job")>;
using members_atom = caf::atom_constant<caf::atom("members")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using whitelist_atom = caf::atom_constant<caf::atom("whitelist")>;
using bot_atom = caf::atom_constant<caf::atom("bot")>;
using catchup_atom = caf::atom_constant<caf::atom("catchup")>;
using cluster_atom = caf::atom_constant<caf::atom("cluster")>;
using resync_atom = caf::atom_constant<caf::atom("resync")>;
using broadcast_atom = caf::atom_constant<caf::atom("broadcast")>;
using mention_atom = caf::atom_constant<caf::atom("mention")>;
using notify_atom = caf::atom_constant<caf::atom("notify")>;
using append_atom = caf::atom_constant<caf::atom("append")>;
using applied_atom = caf::atom_constant<caf::atom("applied")>;
using auth_atom = caf::atom_constant<caf::atom("auth")>;
using channels_atom = caf::atom_constant<caf::atom("channels")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using create_atom = caf::atom_constant<caf::atom("create")>;
using delete_atom = caf::atom_constant<caf::atom("delete")>;
using edit_atom = caf::atom_constant<caf::atom("edit")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using health_atom = caf::atom_constant<caf::atom("health")>;
using info_atom = caf::atom_constant<caf::atom("info")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using load_atom = caf::atom_constant<caf::atom("load")>;
using react_atom = caf::atom_constant<caf::atom("react")>;
using thread_atom = caf::atom_constant<caf::atom("thread")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using revoke_atom = caf::atom_constant<caf::atom("revoke")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using post_atom = caf::atom_constant<caf::atom("post")>;
using room_atom = caf::atom_constant<caf::atom("room")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using tail_atom = caf::atom_constant<caf::atom("tail")>;
using token_atom = caf::atom_constant<caf::atom("token")>;
using tokens_atom = caf::atom_constant<caf::atom("tokens")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using sample_atom = caf::atom_constant<caf::atom("sample")>;
using typing_atom = caf::atom_constant<caf::atom("typing")>;
using unsub_atom = caf::atom_constant<caf::atom("unsub")>;

// -- messages (nouns) -------------------------------------------------------------

/// The authenticated caller, and the API token it used (revoking the token ends
/// the sessions it opened).
struct principal {
  storage::user_row user;
  std::string token_id;
  bool via_cookie = false;  // a browser session: subject to Origin checks
};

/// Work for a store actor (`job_atom`), run on its connection: inside the writer's
/// group transaction, or on a reader. The caller reads what the job captured once
/// the reply (`bool`: committed / ran) arrives, which orders the two accesses.
using store_job = std::function<void(storage::store&)>;

/// Outcome of creating or revoking an API token.
struct token_outcome {
  error_info error;
  storage::token_row token;
};

/// A message someone wants to post (WebSocket `send` or REST POST).
struct post_request {
  principal from;
  std::string channel_id;  // "" = the room-wide thread
  std::string client_msg_id;
  std::string content;  // already trimmed and length-checked
  std::string bot;      // set by the room: the login of the bot whose prefix it starts with
};

/// Outcome of a post, edit, delete or reaction.
struct write_outcome {
  error_info error;
  storage::message_row message;
  // A post: the same client id was stored before; a reaction: it changed nothing.
  bool duplicate = false;
  std::optional<storage::channel_row> channel;  // for channel creation
};

/// What one archive pass did (actors/archiver.hpp).
struct archive_report {
  std::int64_t moved = 0;    // messages that left SQLite for the archive
  std::int64_t dropped = 0;  // archived copies of messages (or channels) deleted, removed
  std::string error;         // why the pass stopped early; "" when it ran to the end
};

/// Edits and deletes carry the channels the caller can see (filled in by the room), so
/// the writer answers `not_found` for a message in a channel hidden from them.
struct edit_request {
  principal from;
  std::string message_id;
  std::string content;
  std::vector<std::string> visible_channels;
};

struct delete_request {
  principal from;
  std::string message_id;
  std::vector<std::string> visible_channels;
};

/// The most distinct emoji one message may carry; one more is a conflict (409).
constexpr std::size_t max_distinct_reactions = 50;

/// A reaction to put on (`add`) or take off a message, with the channels the caller can
/// see (filled in by the room). `emoji` is already checked (valid_reaction).
struct react_request {
  principal from;
  std::string message_id;
  std::string emoji;
  bool add = true;
  std::vector<std::string> visible_channels;
};

/// Create (or find) the thread under `message_id`, with the channels the caller can see
/// (filled in by the room).
struct thread_request {
  principal from;
  std::string message_id;
  std::vector<std::string> visible_channels;
};

/// A reply to post in `thread` (as the store last read it: its room and channel decide
/// who may post). `content` is already trimmed and checked.
struct reply_request {
  principal from;
  storage::thread_row thread;
  std::string content;
  std::string client_msg_id;
  // A room bot's answer to a mention in the thread: the room let the bot in when its
  // owner bound it, as for the bot's replies in channels.
  bool from_room_bot = false;
};

/// Outcome of creating a thread or posting a reply: the thread as it is now, its root
/// (none when the root was deleted), and for a reply the reply itself.
struct thread_outcome {
  error_info error;
  storage::thread_row thread;
  std::optional<storage::message_row> root;
  bool created = false;  // a thread: this call made it
  storage::message_row reply;
  bool duplicate = false;  // a reply: the same client id was stored before
};

/// A channel's part of a client's sync: everything up to `last_seq` that the
/// client should get; live frames after it go straight to the sink. With `more`, a
/// resume was longer than a page: `messages` is its first page, and the client is not
/// live in this channel until the connection has paged through the rest (catchup_atom).
struct channel_snapshot {
  std::string channel_id;
  std::int64_t last_seq = 0;
  std::vector<storage::message_row> messages;
  bool more = false;
};

/// The next page of a resume. `after` is the last seq it covers (the cursor for the
/// next request); `live` means the channel has switched the sink to live fan-out,
/// having pushed what was left itself.
struct catchup_page {
  std::vector<storage::message_row> messages;
  std::int64_t after = 0;
  bool live = false;
};

/// Room facts a REST handler needs.
/// Room facts a REST handler needs, as one caller may see them: `channels` holds only
/// the channels the caller can see, with member counts.
struct room_info {
  storage::room_row room;
  std::optional<storage::user_row> owner;
  std::vector<storage::channel_row> channels;
  bool may_enter = false;  // open room, owner, or whitelisted
  bool is_owner = false;
};

/// A DM between the caller and `logins`.
struct dm_request {
  principal from;
  std::vector<std::string> logins;
};

/// A channel to create: the row and the logins to invite.
struct channel_request {
  principal from;
  storage::channel_row row;
  std::vector<std::string> invite_logins;
};

/// A client subscribing to a room's live traffic.
struct subscription {
  sink_ptr sink;
  principal who;
  std::map<std::string, std::int64_t> resume;  // channel id -> last seen seq; empty = tail
  resume_page page;
};

}  // namespace relay

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::principal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::error_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::expected<relay::storage::room_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::expected<relay::storage::whitelist_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::expected<std::vector<relay::storage::whitelist_row>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::expected<relay::storage::access_request_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(
    relay::storage::expected<std::vector<relay::storage::access_request_row>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::expected<std::vector<relay::storage::user_row>>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::store_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::archive_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::channel_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::room_patch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::whitelist_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::dm_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::token_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<relay::storage::credential>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<relay::storage::token_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::post_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::write_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::edit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::delete_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::react_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::thread_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::reply_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::thread_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::channel_snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::catchup_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::resume_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::room_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::subscription)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::sink_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::frame_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::bot_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::expected<relay::storage::bot_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<relay::storage::bot_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::user_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::room_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::channel_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::message_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::new_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::message_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<relay::storage::user_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<relay::storage::room_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<relay::storage::channel_row>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<relay::storage::message_row>)
