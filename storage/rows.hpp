#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/kinds.hpp"

namespace relay::storage {

/// The room-wide thread of a room has no channel; it is stored with this channel id
/// and written `__lobby` on the wire where a channel id is a key or query value.
inline constexpr const char* room_thread = "";

struct user_row {
  std::string id;  // usr_…
  std::string login;
  std::string name;
  std::string avatar_url;
  std::string email;
  std::optional<std::int64_t> github_id;
  std::int64_t created_at = 0;  // unix ms
};

/// API tokens (`kind` "api", listed and revoked by their owner) and browser sessions
/// (`kind` "session", behind the signed `relay_session` cookie) share one table: both
/// are bearer secrets stored as hashes, and revoking either ends the sockets it opened.
struct token_row {
  std::string id;  // tok_…
  std::string user_id;
  std::string name;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> revoked_at;
  token_kind kind = token_kind::api;
  std::optional<std::int64_t> expires_at;  // unix ms; sessions expire, API tokens do not
};

/// A live API token and the user it authenticates.
struct credential {
  user_row user;
  std::string token_id;
};

struct room_row {
  std::string id;  // room_…
  std::string slug;
  std::string display_name;
  std::string description;
  std::string accent_colors;  // JSON array text, e.g. ["#112233"]
  std::string avatar_url;
  std::optional<std::string> owner_id;  // none for the lobby
  bool whitelist_only = false;
  std::int64_t created_at = 0;
};

/// Fields of a room an owner may change; unset fields stay as they are.
struct room_patch {
  std::optional<std::string> slug;
  std::optional<std::string> display_name;
  std::optional<std::string> description;
  std::optional<std::string> accent_colors;  // JSON array text
  std::optional<std::string> avatar_url;
  std::optional<bool> whitelist_only;
};

struct channel_row {
  std::string id;  // ch_…
  std::string room_id;
  std::string slug;
  std::string name;
  channel_visibility visibility = channel_visibility::public_;
  std::string created_by;  // usr_…
  std::int64_t created_at = 0;
  std::int64_t member_count = 0;  // not stored: the room fills it in for listings
};

struct channel_member_row {
  std::string channel_id;
  std::string user_id;
};

/// Someone allowed into a whitelist-only room, by login or by email (one of the two
/// is set; matching is case-insensitive).
struct whitelist_row {
  std::string id;  // wl_…
  std::string room_id;
  std::string login;
  std::string email;
  std::string note;
  std::string added_by;  // usr_… ("" for approvals recorded by the system)
  std::int64_t created_at = 0;
};

struct access_request_row {
  std::string id;  // arq_…
  std::string room_id;
  std::string user_id;
  std::string login;  // the requester's, joined in on reads
  std::string note;
  request_state state = request_state::pending;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> decided_at;
  std::string decided_by;
};

struct notification_row {
  std::string id;  // ntf_…
  std::string user_id;
  std::string kind;              // e.g. access_request
  std::string room_id;           // "" when not about a room
  std::string ref_id;            // the thing it is about, e.g. arq_…
  std::string body;              // JSON object text with kind-specific fields
  std::string state = "unread";  // unread | read | archived
  std::int64_t created_at = 0;
  bool saved = false;                  // pinned into the saved tab
  std::string visibility = "private";  // private | public (docs/api.md "Notifications")
};

/// One page of a user's notifications, newest first: those in `states` (all when empty),
/// only saved ones with `saved_only`, strictly older than (`before_at`, `before_id`)
/// when `before_id` is set.
struct notification_query {
  std::string user_id;
  std::vector<std::string> states;
  bool saved_only = false;
  std::int64_t before_at = 0;
  std::string before_id;
  int limit = 50;
};

/// What PATCH and save change on a notification; unset fields stay.
struct notification_change {
  std::optional<std::string> state;
  std::optional<std::string> visibility;
  std::optional<bool> saved;
};

/// A profile from the OAuth provider, to create or refresh a user.
struct oauth_profile {
  std::int64_t github_id = 0;
  std::string login;
  std::string name;
  std::string avatar_url;
  std::string email;
};

/// Author profile joined into message reads.
struct author_row {
  std::string id;
  std::string login;
  std::string name;
  std::string avatar_url;
};

/// One emoji on a message and who put it there, in the order they reacted.
struct reaction_row {
  std::string emoji;
  std::vector<std::string> logins;
};

struct message_row {
  std::string id;  // msg_…
  std::string room_id;
  std::string channel_id;  // room_thread ("") for the room-wide thread
  std::int64_t seq = 0;
  author_row author;
  std::string content;
  std::string client_msg_id;  // "" when the client sent none
  std::int64_t created_at = 0;
  std::optional<std::int64_t> edited_at;
  // A root: its thread ("" when it has none); a thread reply: the thread it is in.
  std::string thread_id;
  std::string bot;  // "" or the bot tag, e.g. "yee"
  // Each emoji once, ordered by the earliest reaction still on it.
  std::vector<reaction_row> reactions;
  // A root with a thread: how many replies it has and when the newest landed.
  std::int64_t reply_count = 0;
  std::optional<std::int64_t> last_reply_at;
};

/// A thread of replies under one root message, in the root's room and channel. It
/// outlives its root: deleting the root leaves the thread and its replies.
struct thread_row {
  std::string id;  // thr_…
  std::string room_id;
  std::string room_slug;  // joined in by find_thread, for the room lookup
  std::string channel_id;
  std::string root_id;
  std::int64_t reply_count = 0;
  std::optional<std::int64_t> last_reply_at;
  std::int64_t created_at = 0;
};

/// A reply to append to a thread; the store numbers it (`seq`: 1, 2, … in its thread)
/// and keeps (thread_id, author_id, client_msg_id) unique.
struct new_reply {
  std::string id;  // pre-generated msg_… id
  std::string thread_id;
  std::string author_id;
  std::string content;
  std::string client_msg_id;
  std::int64_t created_at = 0;
};

/// A message to append. The store assigns `seq` (last + 1 in its channel) and keeps
/// (author_id, client_msg_id) unique.
struct new_message {
  std::string id;  // pre-generated msg_… id
  std::string room_id;
  std::string channel_id;
  std::string author_id;
  std::string content;
  std::string client_msg_id;
  std::int64_t created_at = 0;
  std::string bot;
  // The seq must be above this: seqs up to it were seen by clients in a batch that
  // was rolled back.
  std::int64_t seq_floor = 0;
};

struct append_result {
  message_row message;     // the stored row (the original one for a duplicate)
  bool duplicate = false;  // same (author, client_msg_id) was stored before
  // Seqs of the channel up to this are reserved once the transaction commits: they
  // may be shown to clients before the message holding one is committed.
  std::int64_t reserved = 0;
};

/// An agent of the agent relay, registered by an operator. Its bearer token
/// (`rla_<secret>`) is stored only as a hash and is not part of the row.
struct agent_row {
  std::string agent_id;  // chosen by the operator: 1..64 of a-z A-Z 0-9 - _ .
  std::string name;
  std::string description;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_seen;  // unix ms of the last connection/activity
  std::int64_t events_served = 0;
};

/// An app that addresses agents, registered by an operator. Its bearer token
/// (`rlk_<app_id>_<secret>`) is stored only as a hash and is not part of the row.
struct app_row {
  std::string app_id;  // same format as agent ids
  std::string name;
  std::int64_t created_at = 0;
  std::vector<std::string> allowlist;  // agent ids this app may address, sorted
};

/// A bot of a room: a user of its own (so its login is unique among everyone's, without
/// case), optionally bound to an agent of the agent relay so @mentions route to it.
struct bot_row {
  std::string room_id;
  user_row user;         // the bot's own user (login, name …)
  std::string agent_id;  // "" = a plain bot (not an agent)
  std::string prefix;    // reply prefix, e.g. "yeeyee:" ("" = none)
  std::int64_t created_at = 0;
};

/// Most rows one query returns; the API pages at 100 and asks for one more to learn
/// whether another page exists.
inline constexpr int max_query_rows = 1000;

/// Keyset page request over (created_at, id), newest first.
struct message_query {
  std::string room_id;
  std::optional<std::string> channel_id;                // none = every channel of the room
  std::optional<std::vector<std::string>> channel_ids;  // restrict to these (visibility)
  std::optional<std::int64_t> before_created_at;
  std::optional<std::string> before_id;
  std::optional<std::int64_t> after_seq;  // with channel_id: oldest first, seq > after_seq
  int limit = 20;
};

}  // namespace relay::storage
