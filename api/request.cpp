#include "api/request.hpp"

#include "core/metrics.hpp"

#include "api/common.hpp"
#include "api/handlers.hpp"
#include "auth/signing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "redis/client.hpp"

namespace relay {

namespace api {

bool origin_allowed(const api_context& ctx, const std::string& origin) {
  if (origin.empty()) return true;
  for (auto& o : ctx.allowed_origins)
    if (o == origin) return true;
  return false;
}

namespace {

bool is_me(const exchange_ptr& x) {
  return x->req.path.size() == 2 && x->req.path[1] == "me";
}

// The store key of a presented secret: session tokens must carry a valid signature
// before the store is asked (forgeries cost no read); API tokens are looked up as is.
std::optional<std::string> token_hash(const api_context& ctx, const std::string& token) {
  if (token.rfind("rls_", 0) == 0) {
    auto raw = auth::verify(ctx.secret, token);
    if (!raw) return std::nullopt;
    return sha256_hex(*raw);
  }
  return sha256_hex(token);
}

void unauthorized(self_ptr self, const exchange_ptr& x, const char* why) {
  if (is_me(x)) return ok(self, x, "null", 401);
  fail(self, x, errc::unauthorized, why);
}

// Runs `next` with the user the request's credentials name (docs/api.md,
// "Authentication"), or answers 401 / 403.
template <class F>
void sign_in(self_ptr self, exchange_ptr x, F next) {
  // A bearer token wins over the cookie: scripts may run in a signed-in browser.
  bool via_cookie = x->req.bearer.empty();
  const auto& token = via_cookie ? x->req.session : x->req.bearer;
  if (token.empty()) return unauthorized(self, x, "missing Authorization: Bearer token or session");
  // Browsers attach cookies to cross-site requests; only same-origin pages may use
  // them to change things or to open a socket.
  if (via_cookie && (x->req.method != "GET" || x->req.websocket) &&
      !origin_allowed(x->ctx, x->req.origin))
    return fail(self, x, errc::forbidden, "cross-site request refused (Origin not allowed)");
  // Every browser sends Origin with a WebSocket upgrade: a cookie upgrade without one
  // did not come from a page, and the socket is only for pages of this origin.
  if (via_cookie && x->req.websocket && x->req.origin.empty())
    return fail(self, x, errc::forbidden, "a cookie WebSocket upgrade needs an allowed Origin");
  auto hash = token_hash(x->ctx, token);
  if (!hash) return unauthorized(self, x, "invalid or expired session");
  self->request(x->ctx.readers, in_time(x), auth_atom::value, *hash)
      .then(
          [self, x, via_cookie, next](std::optional<storage::credential>& cred) mutable {
            if (!cred) return unauthorized(self, x, "invalid, expired or revoked token");
            next(principal{std::move(cred->user), std::move(cred->token_id), via_cookie});
          },
          on_fail(self, x));
}

bool is_room_route(const route& r) {
  return r.who == route_access::room_visitor || r.who == route_access::room_member ||
         r.who == route_access::room_owner;
}

// Room routes: the room of `:slug` must exist, and let the caller in unless the route
// is for asking to be let in. The room actor applies the owner rule and every rule
// about one channel or message itself (actors/chat/access.cpp).
void enter_room(self_ptr self, exchange_ptr x, const route* r, caller c) {
  auto slug = c.args["slug"];
  with_room(self, x, slug, [self, x, r, c = std::move(c)](room_actor room) mutable {
    self->request(room, in_time(x), info_atom::value, c.who)
        .then(
            [self, x, r, c, room](room_info& info) mutable {
              if (r->who != route_access::room_visitor && !info.may_enter)
                return fail(self, x, errc::forbidden, "this room is whitelist-only");
              c.room = std::move(room);
              c.info = std::move(info);
              r->serve(self, x, c);
            },
            on_fail(self, x));
  });
}

void signed_in(self_ptr self, exchange_ptr x, const route* r, caller c) {
  if (r->who == route_access::admin && !is_admin(x->ctx, c.who.user.login))
    return fail(self, x, errc::forbidden, "the agent relay admin API is for workspace admins");
  if (r->kind == route_kind::websocket && !x->req.websocket)
    return fail(self, x, errc::bad_request, "expected a WebSocket upgrade");
  // The stream is read-only; a socket that could send belongs on /api/ws/rooms/:slug.
  if (r->kind == route_kind::sse && x->req.websocket)
    return fail(self, x, errc::bad_request,
                "this is the SSE stream; WebSockets connect to /api/ws/rooms/:slug");
  if (is_room_route(*r)) return enter_room(self, x, r, std::move(c));
  r->serve(self, x, c);
}

// Applies the route's access check (api/routes.hpp), then runs its handler.
void admit(self_ptr self, exchange_ptr x, const route* r, caller c) {
  switch (r->who) {
    case route_access::anonymous:
    case route_access::agent_token:  // these three: the handler checks
    case route_access::app_token:
    case route_access::livekit_signature:
      return r->serve(self, x, c);
    case route_access::hall_key:
      return with_hall_key(self, x, [self, x, r, c](const storage::hall_key_row& k) mutable {
        c.key = k;
        r->serve(self, x, c);
      });
    case route_access::signed_in:
    case route_access::room_visitor:
    case route_access::room_member:
    case route_access::room_owner:
    case route_access::admin:
      return sign_in(self, x, [self, x, r, c](principal who) mutable {
        c.who = std::move(who);
        signed_in(self, x, r, std::move(c));
      });
  }
}

// Every request starts here: 404 and 405 come from the route table, then its check.
void serve(self_ptr self, exchange_ptr x) {
  auto m = match(x->req.method, x->req.path);
  if (!m.found) {
    if (m.allow.empty()) return fail(self, x, errc::not_found, "no such endpoint");
    return wrong_method(self, x, m.allow);
  }
  caller c;
  c.args = std::move(m.args);
  admit(self, x, m.found, std::move(c));
}

}  // namespace

namespace {

void answer_health(self_ptr self, const exchange_ptr& x, const codec::health_checks& c) {
  ok(self, x, codec::encode_health(c, now_ms()), c.ok() ? 200 : 503);
}

// A PING with a 1 s deadline, sent on the Redis client's executor; its outcome comes
// back to this actor as a message, so no scheduler thread waits on Redis.
void check_redis(self_ptr self, exchange_ptr x, codec::health_checks c) {
  if (!x->ctx.redis) return answer_health(self, x, c);
  x->ctx.redis->command(
      {"PING"},
      [me = caf::actor_cast<caf::actor>(self)](redis::result r) {
        caf::anon_send(me, health_atom::value, std::string{r ? "ok" : "fail"});
      },
      std::chrono::seconds(1));
  self->become(
      [self, x, c](health_atom, std::string& state) mutable {
        c.redis = std::move(state);
        answer_health(self, x, c);
      },
      // The client answers within its deadline; only a client stopped with the server
      // never does.
      caf::after(std::chrono::seconds(2)) >>
          [self, x, c]() mutable {
            c.redis = "fail";
            answer_health(self, x, c);
          });
}

}  // namespace

void health(self_ptr self, exchange_ptr x, const caller&) {
  if (x->ctx.cluster) {
    // The readers' store is Postgres itself: its check is theirs.
    self->request(x->ctx.readers, std::chrono::seconds(5), health_atom::value)
        .then(
            [self, x](bool up) {
              check_redis(self, x, {.sqlite = "off", .postgres = up ? "ok" : "fail"});
            },
            [self, x](caf::error&) {
              check_redis(self, x, {.sqlite = "off", .postgres = "fail"});
            });
    return;
  }
  self->request(x->ctx.readers, std::chrono::seconds(5), health_atom::value)
      .then(
          [self, x](bool up) {
            // The archive's check ("off" without one), then Redis's.
            self->request(x->ctx.readers, std::chrono::seconds(5), health_atom::value,
                          archive_atom::value)
                .then(
                    [self, x, up](std::string& postgres) {
                      check_redis(self, x,
                                  {.sqlite = up ? "ok" : "fail", .postgres = std::move(postgres)});
                    },
                    [self, x, up](caf::error&) {
                      check_redis(self, x, {.sqlite = up ? "ok" : "fail", .postgres = "fail"});
                    });
          },
          [self, x](caf::error&) { check_redis(self, x, {.sqlite = "fail", .postgres = "fail"}); });
}

// Prometheus scrapes this (docs/metrics.md). It reveals counts, never content or ids.
void serve_metrics(self_ptr self, exchange_ptr x, const caller&) {
  ok(self, x, metrics::render(metrics::get()), 200,
     {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}});
}

void get_me(self_ptr self, exchange_ptr x, const caller& c) {
  ok(self, x, codec::encode_user(c.who.user));
}

// Opens the room's socket once every visible channel has a place to resume from: the
// channels `resume` leaves out (new since the client left) resume from shortly before
// the newest message it names (resume_guess.hpp), not live.
void open_room_socket(self_ptr self, exchange_ptr x, const caller& c) {
  cursor_map resume;
  if (auto* r = x->req.param("resume")) {
    auto parsed = codec::parse_resume(*r);
    if (!parsed) return fail(self, x, errc::bad_request, "malformed resume");
    resume = std::move(*parsed);
  }
  auto open = [self, x, who = c.who, room = c.room](cursor_map resume) mutable {
    self->request(x->ctx.registry, in_time(x), count_atom::value, who.user.id)
        .then(
            [self, x, who, resume, room](int open) mutable {
              if (open >= x->ctx.max_connections_per_user)
                return fail(self, x, errc::rate_limited, "too many open connections for this user");
              x->out->stream(room, std::move(who), std::move(resume), {});
              self->quit();
            },
            on_fail(self, x));
  };
  if (resume.empty()) return open({});
  complete_resume(self, x, c.info, std::move(resume),
                  [open](cursor_map resume) mutable { open(std::move(resume)); });
}

}  // namespace api

void spawn_api_request(caf::actor_system& sys, const api_context& ctx, http_request req,
                       responder_ptr out) {
  auto x = std::make_shared<api::exchange>(api::exchange{
      ctx, std::move(req), std::move(out), std::chrono::steady_clock::now() + ctx.request_timeout});
  // Passed as an argument: CAF 0.17 binds a null reference (UB) for argument-less spawns.
  sys.spawn(api::serve, std::move(x));
}

}  // namespace relay
