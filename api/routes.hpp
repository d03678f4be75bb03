#pragma once

// Every HTTP route Relay serves, declared once: method, path template, who may call it,
// what it answers with, and the handler (api/routes.cpp). api/request.cpp dispatches by
// this table, so 404 (no such path), 405 (with `Allow`) and the access check come from
// one place; tests/unit/routes_test.cpp checks that docs/api.md, docs/agents.md and
// docs/halls.md list exactly these routes.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>

namespace relay::api {

struct exchange;
struct caller;

// -- what a route is -----------------------------------------------------------------

enum class http_method : unsigned char { get, post, put, patch, del };

/// Who may call a route. The dispatcher applies the check before the handler runs, in
/// this order: credentials (401; for cookies the Origin rule, 403), then the room of
/// `:slug` (404) and entry to it (403). The kinds the handler checks itself say so.
enum class route_access : unsigned char {
  anonymous,          ///< no credentials asked
  signed_in,          ///< an API token or a browser session (docs/api.md, "Authentication")
  room_visitor,       ///< signed in, and the room `:slug` exists; it need not let them in
                      ///< (asking to be let in)
  room_member,        ///< signed in and let into the room `:slug` (open, owner or whitelisted);
                      ///< rules about one channel or message are the room actor's
  room_owner,         ///< as room_member; the room actor then refuses anyone but the owner
                      ///< (403) when it applies the change, after the handler checked the
                      ///< body: checking here would answer 403 where a bad body gets 400
  admin,              ///< signed in and listed in `admins` (403)
  hall_key,           ///< a hall API key, relay_live_… or relay_test_… (docs/halls.md)
  agent_token,        ///< an agent's rla_… token: checked by the handler, which hands the
                      ///< agent it names to the socket's actor
  app_token,          ///< an app's rlk_… token: checked by the handler, as agent_token
  livekit_signature,  ///< LiveKit's JWT over the body's hash: checked by the handler, which
                      ///< counts and rate-limits the log of refusals (anyone may post there)
};

/// What a route answers with: one response, or the connection becomes a stream.
enum class route_kind : unsigned char { rest, websocket, sse };

/// Serves a request the dispatcher has matched and admitted; ends the request actor.
using handler = void (*)(caf::event_based_actor* self, std::shared_ptr<exchange> x,
                         const caller& c);

struct route {
  http_method method;
  std::string_view path;  ///< e.g. `/api/rooms/:slug/channels/:id`; `:name` is one segment
  route_access who;
  route_kind kind;
  handler serve;
  bool head = false;  ///< HEAD is answered as GET (health checks and scrapers send it)
};

/// The table, in the order of the docs.
std::span<const route> routes();

// -- matching ------------------------------------------------------------------------

/// The values of a matched route's `:name` segments.
class route_args {
 public:
  void add(std::string_view name, std::string value) { args_.emplace_back(name, std::move(value)); }

  /// The segment named `name` in the route's template; empty if there is none.
  const std::string& operator[](std::string_view name) const;

 private:
  std::vector<std::pair<std::string_view, std::string>> args_;
};

struct route_match {
  const route* found = nullptr;  ///< the route for method and path, if any
  std::string allow;             ///< else: the path's methods ("GET, POST"), empty: 404
  route_args args;               ///< with `found`: its `:name` segments
};

/// Finds the route for a method ("GET", as sent) and a path (percent-decoded, non-empty
/// segments). Static and `:name` segments never compete: the table test checks that no
/// two templates match one path.
route_match match(std::string_view method, const std::vector<std::string>& path);

std::string_view to_string(http_method m);
std::string_view to_string(route_access a);
std::string_view to_string(route_kind k);

}  // namespace relay::api
