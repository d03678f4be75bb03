#pragma once

// The handlers the route table (api/routes.cpp) names, by the file that holds them.
// Each has the signature of `api::handler`: it serves one route the dispatcher has
// matched and admitted (api/request.cpp), and ends the request actor.

#include "api/common.hpp"
#include "api/routes.hpp"

namespace relay::api {

/// What the dispatcher established before the handler runs; what a route's access
/// kind does not establish is left empty.
struct caller {
  route_args args;            ///< the route's `:name` segments
  principal who;              ///< the signed-in user (signed_in, room_*, admin)
  room_actor room;            ///< the room of `:slug` (room_*)
  room_info info;             ///< the caller's view of that room (room_*)
  storage::hall_key_row key;  ///< the hall API key (hall_key)
};

// -- api/request.cpp: health, metrics, the caller, the room socket ---------------------
void health(self_ptr self, exchange_ptr x, const caller& c);
void serve_metrics(self_ptr self, exchange_ptr x, const caller& c);
void get_me(self_ptr self, exchange_ptr x, const caller& c);
void open_room_socket(self_ptr self, exchange_ptr x, const caller& c);

// -- api/auth.cpp: signing in and out ----------------------------------------------------
void begin_oauth(self_ptr self, exchange_ptr x, const caller& c);
void finish_oauth(self_ptr self, exchange_ptr x, const caller& c);
void dev_login(self_ptr self, exchange_ptr x, const caller& c);
void logout(self_ptr self, exchange_ptr x, const caller& c);

// -- api/account.cpp: the caller's tokens ------------------------------
void create_token(self_ptr self, exchange_ptr x, const caller& c);
void list_tokens(self_ptr self, exchange_ptr x, const caller& c);
void revoke_token(self_ptr self, exchange_ptr x, const caller& c);

// -- api/notifications.cpp: the caller's notifications -----------------------------------
void list_notifications(self_ptr self, exchange_ptr x, const caller& c);
void update_notification(self_ptr self, exchange_ptr x, const caller& c);
void save_notification(self_ptr self, exchange_ptr x, const caller& c);
void unsave_notification(self_ptr self, exchange_ptr x, const caller& c);

// -- api/rooms.cpp: rooms, channels, DMs, bots, members, typing, the SSE stream ---------
void create_room(self_ptr self, exchange_ptr x, const caller& c);
void get_room(self_ptr self, exchange_ptr x, const caller& c);
void update_room(self_ptr self, exchange_ptr x, const caller& c);
void set_whitelist_mode(self_ptr self, exchange_ptr x, const caller& c);
void list_channels(self_ptr self, exchange_ptr x, const caller& c);
void create_channel(self_ptr self, exchange_ptr x, const caller& c);
void delete_channel(self_ptr self, exchange_ptr x, const caller& c);
void open_dm(self_ptr self, exchange_ptr x, const caller& c);
void add_bot(self_ptr self, exchange_ptr x, const caller& c);
void list_bots(self_ptr self, exchange_ptr x, const caller& c);
void list_members(self_ptr self, exchange_ptr x, const caller& c);
void send_typing(self_ptr self, exchange_ptr x, const caller& c);
void open_room_stream(self_ptr self, exchange_ptr x, const caller& c);

// -- api/presence.cpp: heartbeats and who is online ------------------------------------
void send_presence_heartbeat(self_ptr self, exchange_ptr x, const caller& c);
void list_presence(self_ptr self, exchange_ptr x, const caller& c);

// -- api/messages.cpp: history, posts, edits, deletes -----------------------------------
void list_messages(self_ptr self, exchange_ptr x, const caller& c);
void post_message(self_ptr self, exchange_ptr x, const caller& c);
void edit_message(self_ptr self, exchange_ptr x, const caller& c);
void delete_message(self_ptr self, exchange_ptr x, const caller& c);
void add_reaction(self_ptr self, exchange_ptr x, const caller& c);
void remove_reaction(self_ptr self, exchange_ptr x, const caller& c);

// -- api/attachments.cpp: uploads bound to messages, and serving them ---------------------
void upload_attachment(self_ptr self, exchange_ptr x, const caller& c);
void get_attachment(self_ptr self, exchange_ptr x, const caller& c);

// -- api/webhooks.cpp: a room's outbound webhooks (owner only) ---------------------------
void create_webhook(self_ptr self, exchange_ptr x, const caller& c);
void list_webhooks(self_ptr self, exchange_ptr x, const caller& c);
void update_webhook(self_ptr self, exchange_ptr x, const caller& c);
void delete_webhook(self_ptr self, exchange_ptr x, const caller& c);
void rotate_webhook_secret(self_ptr self, exchange_ptr x, const caller& c);
void list_webhook_deliveries(self_ptr self, exchange_ptr x, const caller& c);
void redeliver_webhook(self_ptr self, exchange_ptr x, const caller& c);
// -- api/search.cpp: full-text search over what the caller may see -----------------------
void search_messages(self_ptr self, exchange_ptr x, const caller& c);

// -- api/threads.cpp: threads under messages and their replies ----------------------------
void create_thread(self_ptr self, exchange_ptr x, const caller& c);
void list_replies(self_ptr self, exchange_ptr x, const caller& c);
void post_reply(self_ptr self, exchange_ptr x, const caller& c);

// -- api/boards.cpp: a room's boards, their cards, moves and saves ------------------------
void get_room_board(self_ptr self, exchange_ptr x, const caller& c);
void list_room_boards(self_ptr self, exchange_ptr x, const caller& c);
void create_room_board(self_ptr self, exchange_ptr x, const caller& c);
void get_board(self_ptr self, exchange_ptr x, const caller& c);
void add_card(self_ptr self, exchange_ptr x, const caller& c);
void move_card(self_ptr self, exchange_ptr x, const caller& c);
void save_card(self_ptr self, exchange_ptr x, const caller& c);
void unsave_card(self_ptr self, exchange_ptr x, const caller& c);
// -- api/incoming_hooks.cpp: incoming webhooks and the posts to them ---------------------
void create_incoming_hook(self_ptr self, exchange_ptr x, const caller& c);
void list_incoming_hooks(self_ptr self, exchange_ptr x, const caller& c);
void revoke_incoming_hook(self_ptr self, exchange_ptr x, const caller& c);
void post_to_hook(self_ptr self, exchange_ptr x, const caller& c);
void post_github_to_hook(self_ptr self, exchange_ptr x, const caller& c);
// -- api/tools.cpp, api/mcp.cpp: the API as tools for language models -------------------
void list_tools(self_ptr self, exchange_ptr x, const caller& c);
void call_tool(self_ptr self, exchange_ptr x, const caller& c);
void serve_mcp(self_ptr self, exchange_ptr x, const caller& c);

// -- api/access.cpp: running a gated room -------------------------------------------------
void list_whitelist(self_ptr self, exchange_ptr x, const caller& c);
void add_to_whitelist(self_ptr self, exchange_ptr x, const caller& c);
void remove_from_whitelist(self_ptr self, exchange_ptr x, const caller& c);
void list_access_requests(self_ptr self, exchange_ptr x, const caller& c);
void request_access(self_ptr self, exchange_ptr x, const caller& c);
void approve_access_request(self_ptr self, exchange_ptr x, const caller& c);
void deny_access_request(self_ptr self, exchange_ptr x, const caller& c);

// -- api/agents.cpp: the agent relay's sockets and admin API ------------------------------
void create_agent(self_ptr self, exchange_ptr x, const caller& c);
void list_agents(self_ptr self, exchange_ptr x, const caller& c);
void rotate_agent_token(self_ptr self, exchange_ptr x, const caller& c);
void create_app(self_ptr self, exchange_ptr x, const caller& c);
void list_apps(self_ptr self, exchange_ptr x, const caller& c);
void set_app_allowlist(self_ptr self, exchange_ptr x, const caller& c);
void open_app_socket(self_ptr self, exchange_ptr x, const caller& c);
void open_agent_socket(self_ptr self, exchange_ptr x, const caller& c);
/// True when `login` is one of the workspace admins (`admins`, any case).
bool is_admin(const api_context& ctx, const std::string& login);

// -- api/halls.cpp: video halls, usage, LiveKit's webhook ---------------------------------
void create_hall(self_ptr self, exchange_ptr x, const caller& c);
void get_hall(self_ptr self, exchange_ptr x, const caller& c);
void join_hall(self_ptr self, exchange_ptr x, const caller& c);
void close_hall(self_ptr self, exchange_ptr x, const caller& c);
void list_hall_participants(self_ptr self, exchange_ptr x, const caller& c);
void hall_usage(self_ptr self, exchange_ptr x, const caller& c);
void receive_livekit_webhook(self_ptr self, exchange_ptr x, const caller& c);
/// Runs `next` with the row of the request's hall API key, or answers 401.
void with_hall_key(self_ptr self, exchange_ptr x,
                   std::function<void(const storage::hall_key_row&)> next);

}  // namespace relay::api
