// /v1: the agent relay's sockets (`/v1/ws/agent`, `/v1/ws/app`, authenticated by their
// own tokens) and its admin API (signed-in users listed in `admins`).

#include <algorithm>

#include "actors/agents/agent_conn.hpp"
#include "actors/agents/app_conn.hpp"
#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"
#include "protocol/admin_codec.hpp"

namespace relay::api {

namespace {

void refuse_socket(self_ptr self, const exchange_ptr& x, const char* why) {
  fail(self, x, errc::unauthorized, why);
}

}  // namespace

void open_agent_socket(self_ptr self, exchange_ptr x, const caller&) {
  if (x->req.bearer.rfind("rla_", 0) != 0)
    return refuse_socket(self, x, "missing or malformed agent token (Bearer rla_…)");
  store_call(
      self, in_time(x), x->ctx.readers,
      [hash = sha256_hex(x->req.bearer)](storage::store& db) {
        return storage::maybe(db.find_agent_by_token_hash(hash));
      },
      [self, x](std::optional<storage::agent_row>& agent) {
        if (!agent) return refuse_socket(self, x, "unknown or rotated agent token");
        auto* sys = &self->system();
        x->out->upgrade(relay_socket::agent, [sys, agent = *agent, ctx = x->ctx,
                                              hash = sha256_hex(x->req.bearer)](sink_ptr sink) {
          return spawn_agent_conn(
              *sys, {std::move(sink), agent, ctx.agent_hub, ctx.writer, ctx.readers, hash});
        });
        self->quit();
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void open_app_socket(self_ptr self, exchange_ptr x, const caller&) {
  if (x->req.bearer.rfind("rlk_", 0) != 0)
    return refuse_socket(self, x, "missing or malformed app token (Bearer rlk_…)");
  store_call(
      self, in_time(x), x->ctx.readers,
      [hash = sha256_hex(x->req.bearer)](storage::store& db) {
        return storage::maybe(db.find_app_by_token_hash(hash));
      },
      [self, x](std::optional<storage::app_row>& app) {
        if (!app) return refuse_socket(self, x, "unknown app token");
        auto* sys = &self->system();
        x->out->upgrade(relay_socket::app, [sys, app = *app, ctx = x->ctx,
                                            hash = sha256_hex(x->req.bearer)](sink_ptr sink) {
          return spawn_app_conn(
              *sys, {std::move(sink), app, ctx.agent_hub, ctx.app_events, ctx.readers, hash});
        });
        self->quit();
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void create_agent(self_ptr self, exchange_ptr x, const caller&) {
  auto body = codec::admin::decode_agent_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto row = std::get<storage::agent_row>(std::move(body));
  auto token = "rla_" + random_hex(32);
  store_call(
      self, in_time(x), x->ctx.writer,
      [row, hash = sha256_hex(token)](storage::store& db) { return db.create_agent(row, hash); },
      [self, x, token](storage::agent_row& agent) {
        ok(self, x, codec::admin::encode_new_agent(agent.agent_id, token), 201);
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void list_agents(self_ptr self, exchange_ptr x, const caller&) {
  store_call(
      self, in_time(x), x->ctx.readers, [](storage::store& db) { return db.list_agents(); },
      [self, x](std::vector<storage::agent_row>& rows) {
        self->request(x->ctx.agent_hub, in_time(x), agents::discover_atom::value)
            .then(
                [self, x, rows](std::vector<codec::agents::agent_status>& live) {
                  std::vector<bool> online;
                  for (auto& r : rows)
                    online.push_back(std::any_of(live.begin(), live.end(), [&](auto& s) {
                      return s.agent_id == r.agent_id && s.online;
                    }));
                  ok(self, x, codec::admin::encode_agent_list(rows, online));
                },
                on_fail(self, x));
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void rotate_agent_token(self_ptr self, exchange_ptr x, const caller& c) {
  std::string agent_id = c.args["id"];
  auto token = "rla_" + random_hex(32);
  store_call(
      self, in_time(x), x->ctx.writer,
      [agent_id, hash = sha256_hex(token)](storage::store& db) {
        return db.rotate_agent_token(agent_id, hash);
      },
      [self, x, agent_id, token]() {
        // Committed: the old token's socket goes now, not at its next reconnect.
        self->send(x->ctx.agent_hub, revoke_atom::value, agent_id);
        ok(self, x, codec::admin::encode_new_agent(agent_id, token));
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void create_app(self_ptr self, exchange_ptr x, const caller&) {
  auto body = codec::admin::decode_app_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto row = std::get<storage::app_row>(std::move(body));
  auto token = "rlk_" + row.app_id + "_" + random_hex(32);
  store_call(
      self, in_time(x), x->ctx.writer,
      [row, hash = sha256_hex(token)](storage::store& db) { return db.create_app(row, hash); },
      [self, x, token](storage::app_row& app) {
        ok(self, x, codec::admin::encode_new_app(app.app_id, token), 201);
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void list_apps(self_ptr self, exchange_ptr x, const caller&) {
  store_call(
      self, in_time(x), x->ctx.readers, [](storage::store& db) { return db.list_apps(); },
      [self, x](std::vector<storage::app_row>& apps) {
        ok(self, x, codec::admin::encode_app_list(apps));
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

void set_app_allowlist(self_ptr self, exchange_ptr x, const caller& c) {
  std::string app_id = c.args["id"];
  auto body = codec::admin::decode_allowlist_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  store_call(
      self, in_time(x), x->ctx.writer,
      [app_id, ids = std::get<std::vector<std::string>>(std::move(body))](storage::store& db) {
        return db.set_allowlist(app_id, ids);
      },
      [self, x](storage::app_row& app) {
        // Takes effect for the app's next event, on every socket it has open.
        self->send(x->ctx.agent_hub, agents::allow_atom::value, app.app_id, app.allowlist);
        ok(self, x, codec::admin::encode_app(app));
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

bool is_admin(const api_context& ctx, const std::string& login) {
  return std::any_of(ctx.admins.begin(), ctx.admins.end(),
                     [&](const std::string& a) { return same_login(a, login); });
}

}  // namespace relay::api
