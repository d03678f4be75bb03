// /auth/*: sign-in with GitHub (or any provider speaking its OAuth web flow), the
// loopback-only dev sign-in, and logout. A session is a token row of kind "session"
// whose secret travels in the signed `relay_session` cookie.

#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "auth/oauth.hpp"
#include "auth/signing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log_limiter.hpp"
#include "core/login.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::auth::oauth_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::auth::oauth_config)

namespace relay::api {

namespace {

constexpr std::int64_t session_ms = 30LL * 24 * 3600 * 1000;
constexpr std::int64_t state_ms = 10LL * 60 * 1000;

std::string cookie(const api_context& ctx, const std::string& name, const std::string& value,
                   const char* path, std::int64_t max_age_s) {
  auto c = name + "=" + value + "; Path=" + path + "; Max-Age=" + std::to_string(max_age_s) +
           "; HttpOnly; SameSite=Lax";
  if (ctx.secure_cookies) c += "; Secure";
  return c;
}

// `next` must stay on this site and outside /auth/: a path, not `//host` or `/\host`,
// printable ASCII only (it goes into a Location header).
std::string safe_next(const std::string* next) {
  if (!next || next->empty() || (*next)[0] != '/') return "/";
  if (next->size() > 1 && ((*next)[1] == '/' || (*next)[1] == '\\')) return "/";
  if (*next == "/auth" || next->rfind("/auth/", 0) == 0 || next->rfind("/auth?", 0) == 0)
    return "/";
  for (unsigned char c : *next)
    if (c <= 0x20 || c >= 0x7f || c == '\\') return "/";
  return *next;
}

void redirect(self_ptr self, const exchange_ptr& x, const std::string& to, header_list h = {}) {
  h.emplace_back("Location", to);
  ok(self, x, "", 302, std::move(h));
}

}  // namespace

void begin_oauth(self_ptr self, exchange_ptr x, const caller&) {
  if (!x->ctx.oauth) return fail(self, x, errc::not_found, "sign-in with GitHub is not configured");
  auto state = random_hex(16);
  auto next = safe_next(x->req.param("next"));
  auto payload = state + "|" + std::to_string(now_ms() + state_ms) + "|" + next;
  redirect(self, x, auth::authorize_redirect(*x->ctx.oauth, state),
           {{"Set-Cookie", cookie(x->ctx, "relay_oauth", auth::sign(x->ctx.secret, payload),
                                  "/auth", state_ms / 1000)}});
}

namespace {

// Anyone can take a state cookie from /auth/github and send made-up codes to the
// callback: a line per failure would let them fill the disk and bury real warnings.
// The first is logged, then one line per interval with a count.
void log_signin_failure(const std::string& why) {
  static log_limiter limiter{10'000};
  auto v = limiter.admit(now_ms());
  if (!v.log) return;
  if (v.suppressed == 0) return spdlog::warn("OAuth sign-in failed: {}", why);
  spdlog::warn("OAuth sign-in failed: {} (and {} more failed since the last such line)", why,
               v.suppressed);
}

// The provider round trip blocks on the network: it runs on its own thread.
caf::behavior oauth_worker(caf::event_based_actor* self, int /*unused*/) {
  return {[self](job_atom, const auth::oauth_config& cfg, const std::string& code) {
    self->quit();
    return auth::exchange_and_fetch(cfg, code, std::chrono::seconds(10));
  }};
}

}  // namespace

void finish_oauth(self_ptr self, exchange_ptr x, const caller&) {
  if (!x->ctx.oauth) return fail(self, x, errc::not_found, "sign-in with GitHub is not configured");
  auto* code = x->req.param("code");
  auto* state = x->req.param("state");
  auto payload = auth::verify(x->ctx.secret, x->req.oauth_state);
  if (!code || !state || !payload)
    return fail(self, x, errc::bad_request, "sign-in failed: missing code, state or state cookie");
  auto p1 = payload->find('|');
  auto p2 = p1 == std::string::npos ? p1 : payload->find('|', p1 + 1);
  if (p2 == std::string::npos) return fail(self, x, errc::bad_request, "sign-in failed: bad state");
  auto expected = payload->substr(0, p1);
  auto expires = std::stoll("0" + payload->substr(p1 + 1, p2 - p1 - 1));
  auto next = payload->substr(p2 + 1);
  if (expected != *state || expires < now_ms())
    return fail(self, x, errc::bad_request, "sign-in failed: state does not match (or expired)");
  auto worker =
      self->spawn<caf::detached>(oauth_worker, 0);  // with an argument: see spawn_api_request
  self->request(worker, std::chrono::seconds(30), job_atom::value, *x->ctx.oauth, *code)
      .then(
          [self, x, next](auth::oauth_outcome& out) {
            if (!out.user) {
              log_signin_failure(out.error);
              return fail(self, x, errc::unauthorized, "sign-in failed at the provider");
            }
            // The provider's login becomes a name in URLs, mentions and whitelists: it
            // must pass the same rule as everyone's. It is not logged (any bytes, any
            // length); the provider id is enough to find the account.
            if (!valid_login(out.user->login)) {
              spdlog::warn(
                  "OAuth sign-in refused: the provider's login for id {} ({} bytes) is "
                  "not a valid login",
                  out.user->id, out.user->login.size());
              return fail(
                  self, x, errc::unauthorized,
                  "sign-in refused: the provider's login is not " + std::string{login_rule});
            }
            storage::oauth_profile p{out.user->id, out.user->login, out.user->name,
                                     out.user->avatar_url, out.user->email};
            store_call(
                self, in_time(x), x->ctx.writer,
                [p](storage::store& db) { return db.upsert_oauth_user(p); },
                [self, x, next](storage::user_row& user) { start_session(self, x, user.id, next); },
                [self, x](const error_info& e) { fail(self, x, e); });
          },
          [self, x](caf::error& err) {
            log_signin_failure(to_string(err));
            fail(self, x, errc::unavailable, "the sign-in provider did not answer");
          });
}

void dev_login(self_ptr self, exchange_ptr x, const caller&) {
  // Behind a proxy "loopback" means everyone the proxy serves: refused.
  if (!x->ctx.dev_login || x->req.proxied)
    return fail(self, x, errc::not_found, "dev sign-in is off");
  auto* login = x->req.param("login");
  if (!login || !valid_login(*login))
    return fail(self, x, errc::bad_request, "login must be " + std::string{login_rule});
  store_call(
      self, in_time(x), x->ctx.writer,
      [login = *login](storage::store& db) {
        // "BOB" signs in as bob, as on GitHub: logins are identities without case.
        auto user = db.find_user_by_login(login);
        if (!user.not_found()) return user;
        return db.create_user(login, login, "");
      },
      [self, x, next = safe_next(x->req.param("next"))](storage::user_row& user) {
        start_session(self, x, user.id, next);
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void logout(self_ptr self, exchange_ptr x, const caller&) {
  auto clear = header_list{{"Set-Cookie", cookie(x->ctx, "relay_session", "", "/", 0)}};
  if (!origin_allowed(x->ctx, x->req.origin))
    return fail(self, x, errc::forbidden, "cross-site request refused (Origin not allowed)");
  auto raw = auth::verify(x->ctx.secret, x->req.session);
  if (!raw) return ok(self, x, R"({"ok":true})", 200, clear);
  // The session row is revoked too: a copied cookie stops working, and sockets it
  // opened are closed.
  store_call(
      self, in_time(x), x->ctx.writer,
      [hash = sha256_hex(*raw)](storage::store& db) -> storage::expected<std::string> {
        // A session that is gone already (revoked, expired) has nothing left to end.
        auto cred = db.find_credential(hash);
        if (cred.not_found()) return std::string{};
        if (!cred) return cred.error();
        if (auto revoked = db.revoke_token(cred->user.id, cred->token_id); revoked.failed())
          return revoked.error();
        return cred->token_id;
      },
      [self, x, clear](std::string& token_id) {
        if (!token_id.empty()) {
          self->send(x->ctx.registry, revoke_atom::value, token_id);
          if (x->ctx.cluster) x->ctx.cluster->revoke(token_id);
        }
        ok(self, x, R"({"ok":true})", 200, clear);
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void start_session(self_ptr self, exchange_ptr x, const std::string& user_id,
                   const std::string& next) {
  auto raw = "rls_" + random_hex(32);
  store_call(
      self, in_time(x), x->ctx.writer,
      [user_id, hash = sha256_hex(raw)](storage::store& db) {
        return db.create_token(user_id, "session", hash, storage::token_kind::session,
                               now_ms() + session_ms);
      },
      [self, x, raw, next](storage::token_row&) {
        redirect(self, x, next,
                 {{"Set-Cookie", cookie(x->ctx, "relay_session", auth::sign(x->ctx.secret, raw),
                                        "/", session_ms / 1000)},
                  {"Set-Cookie", cookie(x->ctx, "relay_oauth", "", "/auth", 0)}});
      },
      [self, x](const error_info& e) {
        // The user was found or made just before; a refusal now is ours, not the caller's.
        if (e.code == errc::unavailable) return fail(self, x, e);
        fail(self, x, errc::unavailable, "could not start a session");
      });
}

}  // namespace relay::api
