#include "protocol/tool_table.hpp"

#include <array>
#include <cmath>
#include <limits>

namespace relay::tools {

namespace json = boost::json;

namespace {

using enum arg_type;
using enum arg_place;

// -- arguments shared by many tools ------------------------------------------------

constexpr tool_arg room{
    "room", string, path,
    "slug", true,   "The room's slug, as in its URL /r/<slug> (the default room is \"lobby\")."};
constexpr tool_arg message_id{
    "messageId", string, path,
    "id",        true,   "The message's id (the `id` field of a message from read_history)."};
constexpr tool_arg thread_id{
    "threadId", string, path,
    "threadId", true,   "The thread's id (a message's `threadId`, or create_thread's answer)."};
constexpr tool_arg content{"content",
                           string,
                           body,
                           "content",
                           true,
                           "The message text, 1 to 4000 characters; Markdown is shown as written. "
                           "Write @login to mention someone."};
constexpr tool_arg client_msg_id{
    "clientMsgId",
    string,
    body,
    "clientMsgId",
    false,
    "An id of your choosing (at most 128 characters): sending again with the same one posts "
    "nothing new, so a retry after a timeout is safe."};
constexpr tool_arg emoji{
    "emoji", string, path,
    "emoji", true,   "One Unicode emoji such as 👍 or 🎉, or a short name such as :tada:."};
constexpr tool_arg page_limit{
    "limit", integer, query, "limit", false, "How many to return, 1 to 100.", {}, 1, 100};

constexpr std::array room_only{room};

// -- the tools, one REST route each -------------------------------------------------

constexpr std::array send_message_args{
    room,
    tool_arg{"channelId", string, body, "channelId", false,
             "The channel's id (from list_channels, also a DM's). Leave it out to post in the "
             "room-wide thread that has no channel."},
    content, client_msg_id};

constexpr std::array read_history_args{
    room,
    tool_arg{"channelId", string, query, "channelId", false,
             "Only this channel's messages (an id from list_channels, or \"__lobby\" for the "
             "room-wide thread). Leave it out for every channel you can see."},
    tool_arg{"limit",
             integer,
             query,
             "limit",
             false,
             "How many messages, 1 to 100 (default 20).",
             {},
             1,
             100},
    tool_arg{"beforeCreatedAt", string, query, "beforeCreatedAt", false,
             "For the next (older) page: `next.beforeCreatedAt` of the previous answer."},
    tool_arg{"beforeId", string, query, "beforeId", false,
             "For the next (older) page: `next.beforeId` of the previous answer."}};

constexpr std::array message_only{room, message_id};
constexpr std::array edit_args{room, message_id, content};
constexpr std::array reaction_args{room, message_id, emoji};
constexpr std::array reply_args{room, message_id, content, client_msg_id};

constexpr std::array list_replies_args{
    thread_id,
    tool_arg{"afterSeq",
             integer,
             query,
             "afterSeq",
             false,
             "For the next page: `next.afterSeq` of the previous answer.",
             {},
             0,
             std::numeric_limits<std::int64_t>::max()},
    page_limit};

constexpr std::array open_dm_args{
    room, tool_arg{"logins", string_list, body, "logins", true,
                   "The logins of the other people (1 to 16), without @. Each must be able to "
                   "enter the room."}};

constexpr std::array visibilities{std::string_view{"public"}, std::string_view{"private"},
                                  std::string_view{"group"}, std::string_view{"personal"}};
constexpr std::array create_channel_args{
    room, tool_arg{"name", string, body, "name", true, "The channel's display name."},
    tool_arg{"slug", string, body, "slug", true,
             "The channel's short name in URLs: lower-case letters, digits, - and _."},
    tool_arg{"visibility", string, body, "visibility", false,
             "public (default: every room member), private or group (its members only), "
             "personal (only you).",
             visibilities},
    tool_arg{"inviteLogins", string_list, body, "inviteLogins", false,
             "Logins to add as members of a private or group channel."}};

constexpr std::array states{std::string_view{"unread"}, std::string_view{"read"},
                            std::string_view{"archived"}};
constexpr std::array list_notifications_args{
    tool_arg{"state", string, query, "state", false,
             "Only notifications in this state (default: unread and read).", states},
    tool_arg{"saved", boolean, query, "saved", false, "true: only the ones you saved."}, page_limit,
    tool_arg{"next", string, query, "next", false,
             "For the next page: `next` of the previous answer."}};
constexpr std::array update_notification_args{
    tool_arg{"notificationId", string, path, "id", true,
             "The notification's id (from list_notifications)."},
    tool_arg{"state", string, body, "state", true, "Its new state.", states}};

constexpr std::array create_card_args{
    tool_arg{"boardId", string, path, "id", true,
             "The board's id (the `id` of get_board's answer)."},
    tool_arg{"title", string, body, "title", true, "The card's title, 1 to 200 characters."},
    tool_arg{"body", string, body, "body", false, "The card's details, at most 4000 characters."}};
constexpr std::array move_card_args{
    tool_arg{"cardId", string, path, "id", true, "The card's id."},
    tool_arg{"columnId", string, body, "columnId", true,
             "The column to move it to (an `id` of the board's `columns`)."},
    tool_arg{"position",
             integer,
             body,
             "position",
             true,
             "Its place in that column, 0 = the top; past the end puts it last.",
             {},
             0,
             100000}};

constexpr std::array sorts{std::string_view{"newest"}, std::string_view{"relevance"}};
constexpr std::array search_args{
    tool_arg{"q", string, query, "q", true,
             "What to find, as people type it in Slack: words (all must match; word* for a "
             "prefix), \"an exact phrase\", -word to exclude, and filters in:<room>, "
             "in:<room>/<channel>, from:<login>, before:YYYY-MM-DD, after:YYYY-MM-DD, has:link, "
             "has:attachment, is:thread."},
    tool_arg{"sort", string, query, "sort", false, "newest (the default) or relevance.", sorts},
    page_limit,
    tool_arg{"cursor", string, query, "cursor", false,
             "For the next page: `next.cursor` of the previous answer."}};

constexpr std::array table{
    tool_def{"send_message",
             "Post a message to a channel of a room (or to the room-wide thread), as you. "
             "Answers the stored message.",
             "POST", "/api/rooms/:slug/messages", send_message_args},
    tool_def{"read_history",
             "Read a room's messages, newest first, optionally of one channel. Answers "
             "{messages, next}; pass next's fields back for older messages.",
             "GET", "/api/rooms/:slug/messages", read_history_args, true},
    tool_def{"get_room", "Describe a room: name, description, owner, settings.", "GET",
             "/api/rooms/:slug", room_only, true},
    tool_def{"list_channels",
             "List the channels of a room you can see: public ones and the private channels "
             "and DMs you belong to. Answers {channels: [{id, slug, name, visibility, …}]}.",
             "GET", "/api/rooms/:slug/channels", room_only, true},
    tool_def{"create_channel", "Create a channel in a room (the room's owner only).", "POST",
             "/api/rooms/:slug/channels", create_channel_args},
    tool_def{"list_members",
             "List a room's members (everyone who has spoken in it, belongs to one of its "
             "channels, is whitelisted, or owns it): {members: [{id, login, name}]}.",
             "GET", "/api/rooms/:slug/members", room_only, true},
    tool_def{"list_online", "List who is online in a room right now.", "GET",
             "/api/rooms/:slug/presence", room_only, true},
    tool_def{"edit_message", "Replace the text of one of your own messages.", "PATCH",
             "/api/rooms/:slug/messages/:id", edit_args},
    tool_def{"delete_message",
             "Delete a message (your own, or any in a room you own). Cannot be undone.", "DELETE",
             "/api/rooms/:slug/messages/:id", message_only, false, true},
    tool_def{"add_reaction",
             "React to a message with an emoji, as you. Doing it twice is harmless.", "PUT",
             "/api/rooms/:slug/messages/:id/reactions/:emoji", reaction_args},
    tool_def{"remove_reaction", "Take your emoji reaction off a message.", "DELETE",
             "/api/rooms/:slug/messages/:id/reactions/:emoji", reaction_args, false, true},
    tool_def{"create_thread",
             "Open the thread under a message (or get it when it exists). Answers {threadId, "
             "thread}.",
             "POST", "/api/rooms/:slug/messages/:id/thread", message_only},
    tool_def{"reply_in_thread",
             "Reply in the thread under a message, opening the thread when it has none. "
             "Answers the reply.",
             "POST", "/api/threads/:threadId/replies", reply_args, false, false,
             "/api/rooms/:slug/messages/:id/thread", "threadId"},
    tool_def{"list_thread_replies",
             "Read a thread: its root message and its replies, oldest first. Answers {thread, "
             "root, replies, next}.",
             "GET", "/api/threads/:threadId/replies", list_replies_args, true},
    tool_def{"open_dm",
             "Open (or find) the direct-message channel between you and other people in a "
             "room. Answers the channel; post to it with send_message and its id.",
             "POST", "/api/rooms/:slug/dms", open_dm_args},
    tool_def{"list_notifications",
             "List your notifications (mentions, access requests…), newest first. Answers "
             "{notifications, next}.",
             "GET", "/api/notifications", list_notifications_args, true},
    tool_def{"update_notification", "Mark one of your notifications read, unread or archived.",
             "PATCH", "/api/notifications/:id", update_notification_args},
    tool_def{"get_board",
             "Read a room's board (made with the columns Todo, Doing and Done on first use): "
             "{id, name, columns: [{id, name, cards: [{id, title, body, author, position}]}]}.",
             "GET", "/api/rooms/:slug/board", room_only, true},
    tool_def{"create_card",
             "Add a card to a board, at the end of its first column. Answers the card.", "POST",
             "/api/boards/:id/cards", create_card_args},
    tool_def{"move_card",
             "Move a card to a column and position (the board's owner moves any card, others "
             "their own). Answers the card.",
             "PATCH", "/api/cards/:id", move_card_args},
    tool_def{"search_messages",
             "Search the messages you can see, newest first. Answers {results: [{message, room, "
             "channel, snippet}], next}.",
             "GET", "/api/search", search_args, true},
};

const char* type_name(arg_type t) {
  switch (t) {
    case string:
      return "string";
    case integer:
      return "integer";
    case boolean:
      return "boolean";
    case string_list:
      return "array";
  }
  return "string";
}

json::object property_schema(const tool_arg& a) {
  json::object p{{"type", type_name(a.type)}, {"description", a.description}};
  if (a.type == string_list) {
    p["items"] = json::object{{"type", "string"}, {"minLength", 1}};
    p["minItems"] = 1;
  }
  // A path segment cannot be empty: "" would name another route.
  if (a.type == string && a.place == path) p["minLength"] = 1;
  if (!a.choices.empty()) {
    json::array e;
    for (auto c : a.choices) e.emplace_back(c);
    p["enum"] = std::move(e);
  }
  if (a.max > a.min) {
    p["minimum"] = a.min;
    p["maximum"] = a.max;
  }
  return p;
}

// The value of an integer argument; JSON Schema counts 5.0 as an integer.
std::optional<std::int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double()) {
    double d = v.get_double();
    if (std::trunc(d) == d && std::abs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<std::string> check(const tool_arg& a, const json::value& v) {
  auto field = "arguments." + std::string{a.name} + ": ";
  switch (a.type) {
    case string: {
      if (!v.is_string()) return field + "must be a string";
      std::string_view s = v.get_string();
      if (a.place == path && s.empty()) return field + "must not be empty";
      if (!a.choices.empty()) {
        bool known = false;
        for (auto c : a.choices) known = known || c == s;
        if (!known) {
          std::string list;
          for (auto c : a.choices) list += (list.empty() ? "" : ", ") + std::string{c};
          return field + "must be one of " + list;
        }
      }
      return std::nullopt;
    }
    case integer: {
      auto n = as_integer(v);
      if (!n) return field + "must be an integer";
      if (a.max > a.min && (*n < a.min || *n > a.max))
        return field + "must be from " + std::to_string(a.min) + " to " + std::to_string(a.max);
      return std::nullopt;
    }
    case boolean:
      if (!v.is_bool()) return field + "must be a boolean";
      return std::nullopt;
    case string_list: {
      if (!v.is_array()) return field + "must be an array of strings";
      if (v.get_array().empty()) return field + "must not be empty";
      for (auto& e : v.get_array())
        if (!e.is_string() || e.get_string().empty())
          return field + "must be an array of non-empty strings";
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string query_text(const json::value& v) {
  if (v.is_string()) return std::string{v.get_string()};
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (auto n = as_integer(v)) return std::to_string(*n);
  return json::serialize(v);
}

}  // namespace

std::span<const tool_def> all() {
  return table;
}

const tool_def* find(std::string_view name) {
  for (auto& t : table)
    if (t.name == name) return &t;
  return nullptr;
}

json::object parameters_schema(const tool_def& t) {
  json::object props;
  json::array required;
  for (auto& a : t.args) {
    props[a.name] = property_schema(a);
    if (a.required) required.emplace_back(a.name);
  }
  return json::object{{"type", "object"},
                      {"properties", std::move(props)},
                      {"required", std::move(required)},
                      {"additionalProperties", false}};
}

std::string encode_openai_tools() {
  json::array out;
  for (auto& t : table)
    out.emplace_back(
        json::object{{"type", "function"},
                     {"function", json::object{{"name", t.name},
                                               {"description", t.description},
                                               {"parameters", parameters_schema(t)}}}});
  return json::serialize(out);
}

json::array mcp_tools() {
  json::array out;
  for (auto& t : table)
    out.emplace_back(json::object{{"name", t.name},
                                  {"description", t.description},
                                  {"inputSchema", parameters_schema(t)},
                                  {"annotations", json::object{{"readOnlyHint", t.read_only},
                                                               {"destructiveHint", t.destructive},
                                                               {"openWorldHint", false}}}});
  return out;
}

std::optional<std::string> validate(const tool_def& t, const json::value& arguments) {
  if (arguments.is_null()) return validate(t, json::object{});
  if (!arguments.is_object()) return std::string{"arguments: must be an object"};
  auto& o = arguments.get_object();
  for (auto& [k, v] : o) {
    const tool_arg* known = nullptr;
    for (auto& a : t.args)
      if (a.name == std::string_view{k}) known = &a;
    if (!known)
      return "arguments." + std::string{k} + ": not a parameter of " + std::string{t.name};
    if (auto e = check(*known, v)) return e;
  }
  for (auto& a : t.args)
    if (a.required && !o.contains(a.name)) return "arguments." + std::string{a.name} + ": required";
  return std::nullopt;
}

rest_call build(const tool_def& t, const json::object& arguments, bool first_step,
                const std::string& yielded) {
  rest_call c;
  c.method = first_step ? "POST" : std::string{t.method};
  // The template's `:name` segments take the path arguments' values as they are: the
  // dispatcher sees decoded segments, so no value can add or change a segment.
  auto tmpl = first_step ? t.first_path : t.path;
  while (!tmpl.empty()) {
    tmpl.remove_prefix(1);
    auto end = tmpl.find('/');
    auto seg = tmpl.substr(0, end);
    tmpl = end == std::string_view::npos ? std::string_view{} : tmpl.substr(end);
    if (seg.front() != ':') {
      c.path.emplace_back(seg);
      continue;
    }
    auto name = seg.substr(1);
    if (!first_step && name == t.first_yields && !t.first_yields.empty()) {
      c.path.push_back(yielded);
      continue;
    }
    for (auto& a : t.args)
      if (a.place == path && a.rest_name == name)
        if (auto* v = arguments.if_contains(a.name)) c.path.push_back(query_text(*v));
  }
  if (first_step) return c;  // it only fetches the id the second step needs
  json::object payload;
  for (auto& a : t.args) {
    auto* v = arguments.if_contains(a.name);
    if (!v) continue;
    if (a.place == query) c.query.emplace(a.rest_name, query_text(*v));
    if (a.place == body) payload[a.rest_name] = *v;
  }
  if (c.method != "GET" && c.method != "DELETE") c.body = json::serialize(payload);
  return c;
}

}  // namespace relay::tools
