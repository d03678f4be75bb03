// The route table. To add a route: write its handler (signature `api::handler`) in the
// file of its group, declare it in api/handlers.hpp, add one row here, and document it
// in docs/api.md, docs/agents.md or docs/halls.md (`| METHOD | `/path` | …` or a
// `` `METHOD /path` `` code span); unit.routes fails until both agree.

#include "api/routes.hpp"

#include <array>
#include <optional>

#include "api/handlers.hpp"

namespace relay::api {

namespace {

using enum http_method;
using enum route_access;
using enum route_kind;

// clang-format off
constexpr std::array table{
    // -- docs/api.md ------------------------------------------------------------------
    route{get,   "/auth/github",   anonymous, rest, begin_oauth},
    route{get,   "/auth/callback", anonymous, rest, finish_oauth},
    // Anyone may log out: the handler checks Origin and revokes the cookie's session.
    route{post,  "/auth/logout",   anonymous, rest, logout},
    route{get,   "/auth/dev",      anonymous, rest, dev_login},

    route{post,  "/api/tokens",     signed_in, rest, create_token},
    route{get,   "/api/tokens",     signed_in, rest, list_tokens},
    route{del,   "/api/tokens/:id", signed_in, rest, revoke_token},

    route{get,   "/api/health",        anonymous, rest, health, true},
    route{get,   "/api/me",            signed_in, rest, get_me},
    route{get,   "/api/notifications", signed_in, rest, list_notifications},
    route{patch, "/api/notifications/:id",      signed_in, rest, update_notification},
    route{put,   "/api/notifications/:id/save", signed_in, rest, save_notification},
    route{del,   "/api/notifications/:id/save", signed_in, rest, unsave_notification},
    route{post,  "/api/rooms",         signed_in, rest, create_room},
    // Access is decided per hit, at query time (api/search.cpp).
    route{get,   "/api/search",        signed_in, rest, search_messages},
    // Access follows the bound message (api/attachments.cpp): the handler checks.
    route{post,  "/api/attachments",     signed_in, rest, upload_attachment},
    route{get,   "/api/attachments/:id", signed_in, rest, get_attachment},

    route{get,   "/api/rooms/:slug",                    room_member, rest, get_room},
    route{patch, "/api/rooms/:slug",                    room_owner,  rest, update_room},
    route{put,   "/api/rooms/:slug/whitelist-mode",     room_owner,  rest, set_whitelist_mode},
    route{get,   "/api/rooms/:slug/channels",           room_member, rest, list_channels},
    route{post,  "/api/rooms/:slug/channels",           room_owner,  rest, create_channel},
    // The room owner or the channel's creator: the room actor decides.
    route{del,   "/api/rooms/:slug/channels/:id",       room_member, rest, delete_channel},
    route{post,  "/api/rooms/:slug/dms",                room_member, rest, open_dm},
    route{post,  "/api/rooms/:slug/bots",               room_owner,  rest, add_bot},
    route{get,   "/api/rooms/:slug/bots",               room_member, rest, list_bots},
    route{get,   "/api/rooms/:slug/members",            room_member, rest, list_members},
    route{get,   "/api/rooms/:slug/messages",           room_member, rest, list_messages},
    route{post,  "/api/rooms/:slug/messages",           room_member, rest, post_message},
    // Author only (edit), author or room owner (delete): the room actor decides.
    route{patch, "/api/rooms/:slug/messages/:id",       room_member, rest, edit_message},
    route{del,   "/api/rooms/:slug/messages/:id",       room_member, rest, delete_message},
    // Anyone who can see the message; idempotent.
    route{put,   "/api/rooms/:slug/messages/:id/reactions/:emoji", room_member, rest, add_reaction},
    route{del,   "/api/rooms/:slug/messages/:id/reactions/:emoji", room_member, rest, remove_reaction},
    // Anyone who can see the message; idempotent (one thread per message).
    route{post,  "/api/rooms/:slug/messages/:id/thread", room_member, rest, create_thread},
    // The thread's room and channel decide who may read and reply (api/threads.cpp).
    route{get,   "/api/threads/:id/replies",            signed_in,   rest, list_replies},
    route{post,  "/api/threads/:id/replies",            signed_in,   rest, post_reply},
    // Boards: whoever may enter the room; the board's room decides for id routes
    // (api/boards.cpp), and the mover's rights are checked there.
    route{get,   "/api/rooms/:slug/board",              room_member, rest, get_room_board},
    route{get,   "/api/rooms/:slug/boards",             room_member, rest, list_room_boards},
    route{post,  "/api/rooms/:slug/boards",             room_member, rest, create_room_board},
    route{get,   "/api/boards/:id",                     signed_in,   rest, get_board},
    route{post,  "/api/boards/:id/cards",               signed_in,   rest, add_card},
    route{patch, "/api/cards/:id",                      signed_in,   rest, move_card},
    route{put,   "/api/cards/:id/save",                 signed_in,   rest, save_card},
    route{del,   "/api/cards/:id/save",                 signed_in,   rest, unsave_card},
    route{post,  "/api/rooms/:slug/typing",             room_member, rest, send_typing},
    route{post,  "/api/rooms/:slug/presence",           room_member, rest, send_presence_heartbeat},
    route{get,   "/api/rooms/:slug/presence",           room_member, rest, list_presence},

    // Outbound webhooks: the room owner only (api/webhooks.cpp checks; others 403).
    route{post,  "/api/rooms/:slug/webhooks",                     room_owner,   rest, create_webhook},
    route{get,   "/api/rooms/:slug/webhooks",                     room_owner,   rest, list_webhooks},
    route{patch, "/api/rooms/:slug/webhooks/:id",                 room_owner,   rest, update_webhook},
    route{del,   "/api/rooms/:slug/webhooks/:id",                 room_owner,   rest, delete_webhook},
    route{post,  "/api/rooms/:slug/webhooks/:id/rotate-secret",   room_owner,   rest, rotate_webhook_secret},
    route{get,   "/api/rooms/:slug/webhooks/:id/deliveries",      room_owner,   rest, list_webhook_deliveries},
    route{post,  "/api/rooms/:slug/webhooks/:id/deliveries/:deliveryId/redeliver", room_owner, rest, redeliver_webhook},

    route{get,   "/api/rooms/:slug/whitelist",                    room_owner,   rest, list_whitelist},
    route{post,  "/api/rooms/:slug/whitelist",                    room_owner,   rest, add_to_whitelist},
    route{del,   "/api/rooms/:slug/whitelist/:entryId",           room_owner,   rest, remove_from_whitelist},
    route{get,   "/api/rooms/:slug/access-requests",              room_owner,   rest, list_access_requests},
    route{post,  "/api/rooms/:slug/access-requests",              room_visitor, rest, request_access},
    route{post,  "/api/rooms/:slug/access-requests/:id/approve",  room_owner,   rest, approve_access_request},
    route{post,  "/api/rooms/:slug/access-requests/:id/deny",     room_owner,   rest, deny_access_request},

    route{post,  "/api/rooms/:slug/incoming-webhooks",     room_owner, rest, create_incoming_hook},
    route{get,   "/api/rooms/:slug/incoming-webhooks",     room_owner, rest, list_incoming_hooks},
    route{del,   "/api/rooms/:slug/incoming-webhooks/:id", room_owner, rest, revoke_incoming_hook},
    // The secret in the path is the credential (api/incoming_hooks.cpp).
    route{post,  "/hooks/:secret",        anonymous, rest, post_to_hook},
    route{post,  "/hooks/:secret/github", anonymous, rest, post_github_to_hook},
    // Each tool call runs its REST route as the caller (api/tool_runner.hpp).
    route{get,   "/api/tools",      signed_in, rest, list_tools},
    route{post,  "/api/tools/call", signed_in, rest, call_tool},
    route{post,  "/mcp",            signed_in, rest, serve_mcp},

    route{get,   "/api/ws/rooms/:slug",     room_member, websocket, open_room_socket},
    route{get,   "/metrics",                anonymous,   rest,      serve_metrics, true},
    route{get,   "/api/rooms/:slug/stream", room_member, sse,       open_room_stream},

    // -- docs/agents.md ---------------------------------------------------------------
    route{post,  "/v1/agents",                  admin, rest, create_agent},
    route{get,   "/v1/agents",                  admin, rest, list_agents},
    route{post,  "/v1/agents/:id/rotate-token", admin, rest, rotate_agent_token},
    route{post,  "/v1/apps",                    admin, rest, create_app},
    route{get,   "/v1/apps",                    admin, rest, list_apps},
    route{put,   "/v1/apps/:id/allowlist",      admin, rest, set_app_allowlist},
    route{get,   "/v1/ws/app",                  app_token,   websocket, open_app_socket},
    route{get,   "/v1/ws/agent",                agent_token, websocket, open_agent_socket},

    // -- docs/halls.md ----------------------------------------------------------------
    route{post,  "/v1/halls",                       hall_key, rest, create_hall},
    route{get,   "/v1/halls/:hall_id",              hall_key, rest, get_hall},
    route{post,  "/v1/halls/:hall_id/join",         hall_key, rest, join_hall},
    route{post,  "/v1/halls/:hall_id/close",        hall_key, rest, close_hall},
    route{get,   "/v1/halls/:hall_id/participants", hall_key, rest, list_hall_participants},
    route{get,   "/v1/usage",                       hall_key, rest, hall_usage},
    route{post,  "/v1/livekit/webhook",             livekit_signature, rest, receive_livekit_webhook},
};
// clang-format on

// `Allow` lists methods in this order, HEAD after GET.
constexpr std::array method_order{get, post, put, patch, del};

std::optional<http_method> parse_method(std::string_view m) {
  if (m == "GET") return get;
  if (m == "POST") return post;
  if (m == "PUT") return put;
  if (m == "PATCH") return patch;
  if (m == "DELETE") return del;
  return std::nullopt;
}

// True when `path` has the template's segments; fills `args` with the `:name` ones.
bool matches(std::string_view tmpl, const std::vector<std::string>& path, route_args* args) {
  std::size_t i = 0;
  while (!tmpl.empty()) {
    tmpl.remove_prefix(1);  // the '/'
    auto end = tmpl.find('/');
    auto seg = tmpl.substr(0, end);
    tmpl = end == std::string_view::npos ? std::string_view{} : tmpl.substr(end);
    if (i == path.size()) return false;
    if (seg.front() == ':') {
      if (args) args->add(seg.substr(1), path[i]);
    } else if (seg != path[i]) {
      return false;
    }
    ++i;
  }
  return i == path.size();
}

}  // namespace

std::span<const route> routes() {
  return table;
}

const std::string& route_args::operator[](std::string_view name) const {
  static const std::string none;
  for (auto& [n, v] : args_)
    if (n == name) return v;
  return none;
}

route_match match(std::string_view method, const std::vector<std::string>& path) {
  route_match out;
  const bool head = method == "HEAD";
  auto wanted = head ? std::optional{get} : parse_method(method);
  std::array<bool, method_order.size()> has{};
  bool has_head = false;
  for (auto& r : table) {
    if (!matches(r.path, path, nullptr)) continue;
    if (wanted == r.method && (!head || r.head)) {
      out.found = &r;
      matches(r.path, path, &out.args);
      return out;
    }
    has[static_cast<std::size_t>(r.method)] = true;
    has_head = has_head || r.head;
  }
  for (auto m : method_order) {
    if (!has[static_cast<std::size_t>(m)]) continue;
    if (!out.allow.empty()) out.allow += ", ";
    out.allow += to_string(m);
    if (m == get && has_head) out.allow += ", HEAD";
  }
  return out;
}

std::string_view to_string(http_method m) {
  switch (m) {
    case get:
      return "GET";
    case post:
      return "POST";
    case put:
      return "PUT";
    case patch:
      return "PATCH";
    case del:
      return "DELETE";
  }
  return "?";
}

std::string_view to_string(route_access a) {
  switch (a) {
    case anonymous:
      return "anonymous";
    case signed_in:
      return "signed_in";
    case room_visitor:
      return "room_visitor";
    case room_member:
      return "room_member";
    case room_owner:
      return "room_owner";
    case admin:
      return "admin";
    case hall_key:
      return "hall_key";
    case agent_token:
      return "agent_token";
    case app_token:
      return "app_token";
    case livekit_signature:
      return "livekit_signature";
  }
  return "?";
}

std::string_view to_string(route_kind k) {
  switch (k) {
    case rest:
      return "rest";
    case websocket:
      return "websocket";
    case sse:
      return "sse";
  }
  return "?";
}

}  // namespace relay::api
