// /v1/halls…, /v1/usage and /v1/livekit/webhook (docs/halls.md). Backends authenticate
// with a hall API key (relay_live_… / relay_test_…); LiveKit authenticates each webhook
// with a JWT that signs the body's hash.

#include "actors/halls/messages.hpp"
#include "actors/store_call.hpp"
#include "api/handlers.hpp"
#include "auth/livekit.hpp"
#include "core/billing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log_limiter.hpp"
#include "core/metrics.hpp"
#include "protocol/hall_codec.hpp"

namespace relay::api {

namespace {

using key_row = storage::hall_key_row;
namespace hc = codec::halls;

hall_caller caller_of(const key_row& k) {
  return {k.workspace_id, k.test_mode};
}

}  // namespace

void with_hall_key(self_ptr self, exchange_ptr x,
                   std::function<void(const storage::hall_key_row&)> next) {
  auto& key = x->req.bearer;
  if (key.rfind("relay_live_", 0) != 0 && key.rfind("relay_test_", 0) != 0)
    return fail(self, x, errc::unauthorized,
                "missing or malformed hall API key (Bearer relay_live_… or relay_test_…)");
  store_call(
      self, in_time(x), x->ctx.readers,
      [hash = sha256_hex(key)](storage::store& db) {
        return storage::maybe(db.find_hall_key(hash));
      },
      [self, x, next](std::optional<key_row>& k) mutable {
        if (!k) return fail(self, x, errc::unauthorized, "unknown hall API key");
        next(*k);
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

namespace {

template <class F>
void with_hall(self_ptr self, exchange_ptr x, const std::string& hall_id, F next) {
  self->request(x->ctx.halls, in_time(x), hall_atom::value, hall_id)
      .then(
          [self, x, next](hall_actor& hall) mutable {
            if (!hall) return fail(self, x, errc::not_found, "no such hall");
            next(hall);
          },
          on_fail(self, x));
}

/// Asks the hall and answers with `encode(reply)`, or the hall's error.
template <class Encode, class... Ts>
void ask_hall(self_ptr self, exchange_ptr x, const hall_actor& hall, Encode encode, Ts&&... xs) {
  self->request(hall, in_time(x), std::forward<Ts>(xs)...)
      .then(
          [self, x, encode](hall_reply& r) {
            if (r.error) return fail(self, x, r.error);
            ok(self, x, encode(r));
          },
          on_fail(self, x));
}

}  // namespace

void create_hall(self_ptr self, exchange_ptr x, const caller& c) {
  auto& k = c.key;
  auto body = hc::decode_create_hall(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto row = std::get<storage::hall_row>(std::move(body));
  row.id = make_id("h");
  row.workspace_id = k.workspace_id;
  row.test_mode = k.test_mode;
  store_call(
      self, in_time(x), x->ctx.writer, [row](storage::store& db) { return db.create_hall(row); },
      [self, x](storage::hall_row& hall) { ok(self, x, hc::encode_hall(hall, {}), 201); },
      [self, x](const error_info& e) { fail(self, x, e); });
}

namespace {

void grant_join(self_ptr self, exchange_ptr x, const key_row& k, const hall_actor& hall) {
  auto body = hc::decode_join(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto grant = std::get<storage::hall_grant_row>(std::move(body));
  auto& ctx = x->ctx;
  if (ctx.livekit.api_key.empty() || ctx.livekit.api_secret.empty() || ctx.livekit_url.empty())
    return fail(self, x, errc::unavailable,
                "LiveKit is not configured (livekit_url, livekit_api_key, livekit_api_secret)");
  self->request(hall, in_time(x), join_atom::value, caller_of(k), grant)
      .then(
          [self, x, k, grant](hall_reply& r) {
            if (r.error) return fail(self, x, r.error);
            auth::livekit::join_grant g;
            g.identity = grant.participant_id;
            g.name = grant.display_name;
            g.room = r.hall.id;
            g.can_publish = grant.role == storage::hall_role::publisher;
            g.metadata = hc::encode_token_metadata(grant.role, k.workspace_id);
            g.jti = random_hex(16);
            g.now_s = now_ms() / 1000;
            g.ttl_s = x->ctx.hall_token_ttl_seconds;
            auto token = auth::livekit::mint_join_token(x->ctx.livekit, g);
            ok(self, x,
               hc::encode_join(token, x->ctx.livekit_url, r.hall.id, grant.participant_id,
                               (g.now_s + g.ttl_s) * 1000));
          },
          on_fail(self, x));
}

}  // namespace

void hall_usage(self_ptr self, exchange_ptr x, const caller& c) {
  auto& k = c.key;
  std::string period = billing::period_of(now_ms());
  if (auto* p = x->req.param("period")) period = *p;
  if (!billing::valid_period(period))
    return fail(self, x, errc::bad_request, "period must be YYYY-MM, e.g. 2026-05");
  auto plan = billing::parse_plan(k.plan).value_or(billing::plan::starter);
  store_call(
      self, in_time(x), x->ctx.readers,
      [k, period](storage::store& db) {
        return db.hall_usage_minutes(k.workspace_id, k.test_mode, period);
      },
      [self, x, k, period, plan](std::int64_t& used) {
        ok(self, x,
           hc::encode_usage(period, plan, k.test_mode,
                            billing::monthly_usage(plan, used, k.test_mode)));
      },
      [self, x](const error_info& e) { fail(self, x, e); });
}

namespace {

// Anyone can post to the webhook URL: a line per refusal would let them fill the disk
// and bury real warnings. The first is logged, then one line per interval with a count;
// /metrics counts every refusal.
constexpr std::int64_t refusal_log_interval_ms = 10'000;

void log_refusal(const error_info& e, std::int64_t now) {
  static log_limiter limiter{refusal_log_interval_ms};
  auto v = limiter.admit(now);
  if (!v.log) return;
  if (v.suppressed == 0) return spdlog::warn("LiveKit webhook refused: {}", e.message);
  spdlog::warn("LiveKit webhook refused: {} (and {} more refused since the last such line)",
               e.message, v.suppressed);
}

}  // namespace

void receive_livekit_webhook(self_ptr self, exchange_ptr x, const caller&) {
  const auto now = now_ms();
  if (auto e = auth::livekit::verify_webhook(x->ctx.livekit, x->req.authorization, x->req.body,
                                             now / 1000)) {
    metrics::get().livekit_webhooks_refused.inc();
    log_refusal(e, now);
    return fail(self, x, e);
  }
  auto decoded = hc::decode_webhook(x->req.body, now);
  if (auto* e = std::get_if<error_info>(&decoded)) return fail(self, x, *e);
  auto ev = std::get<livekit_event>(std::move(decoded));
  if (ev.num_dropped > 0) {
    // LiveKit's queue overflowed: events before this one are lost, and with them
    // possibly the ends of some sessions.
    spdlog::warn("LiveKit dropped {} webhook(s) before {} ({} in {})", ev.num_dropped, ev.id,
                 ev.event, ev.room);
    self->send(x->ctx.halls, dropped_atom::value, ev.num_dropped);
    metrics::get().livekit_webhooks_reporting_drops.inc();
    metrics::get().livekit_webhooks_dropped.inc(static_cast<std::uint64_t>(ev.num_dropped));
  }
  if (ev.room.empty()) return ok(self, x, hc::encode_webhook_status("ignored"));
  self->request(x->ctx.halls, in_time(x), hall_atom::value, ev.room)
      .then(
          [self, x, ev](hall_actor& hall) {
            // Rooms Relay did not create share the LiveKit project; they are not ours.
            if (!hall) return ok(self, x, hc::encode_webhook_status("ignored"));
            self->request(hall, in_time(x), webhook_atom::value, ev)
                .then(
                    [self, x](webhook_reply& r) {
                      if (r.error) return fail(self, x, r.error);
                      ok(self, x, hc::encode_webhook_status(r.status));
                    },
                    on_fail(self, x));
          },
          on_fail(self, x));
}

void get_hall(self_ptr self, exchange_ptr x, const caller& c) {
  with_hall(self, x, c.args["hall_id"], [self, x, who = caller_of(c.key)](hall_actor hall) {
    ask_hall(
        self, x, hall, [](hall_reply& r) { return hc::encode_hall(r.hall, r.sessions); },
        info_atom::value, who);
  });
}

void join_hall(self_ptr self, exchange_ptr x, const caller& c) {
  with_hall(self, x, c.args["hall_id"],
            [self, x, k = c.key](hall_actor hall) { grant_join(self, x, k, hall); });
}

void close_hall(self_ptr self, exchange_ptr x, const caller& c) {
  with_hall(self, x, c.args["hall_id"], [self, x, who = caller_of(c.key)](hall_actor hall) {
    ask_hall(
        self, x, hall, [](hall_reply& r) { return hc::encode_hall(r.hall, r.sessions); },
        close_atom::value, who, now_ms());
  });
}

void list_hall_participants(self_ptr self, exchange_ptr x, const caller& c) {
  with_hall(self, x, c.args["hall_id"], [self, x, who = caller_of(c.key)](hall_actor hall) {
    ask_hall(
        self, x, hall,
        [](hall_reply& r) { return hc::encode_participants(r.hall.id, r.sessions, now_ms()); },
        info_atom::value, who);
  });
}

}  // namespace relay::api
