#include "actors/webhook_dispatcher.hpp"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/store_call.hpp"
#include "auth/http_client.hpp"
#include "auth/webhook_signing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "protocol/notification_codec.hpp"
#include "storage/store.hpp"

namespace relay {

namespace {

using tick_atom = caf::atom_constant<caf::atom("whtick")>;

constexpr int claim_limit = 8;
// Longer than a claim's worst case (claim_limit requests of request_timeout each), so a
// lease never runs out while its node is still sending.
constexpr std::int64_t lease_ms = 3 * 60 * 1000;
constexpr auto request_timeout = std::chrono::seconds(10);
constexpr std::size_t max_response_body = 64 * 1024;
constexpr int max_attempts = 1 + static_cast<int>(std::size(webhook_retry_offsets));
// Deliveries refused for good (a 4xx) in a row that switch their hook off; one that failed
// after every retry does at once: by then the receiver has been failing for ~24 hours.
constexpr std::int64_t disable_after_failed_deliveries = 5;

struct dispatcher_state {
  webhook_dispatch_params p;
  std::chrono::milliseconds poll{250};
  std::mt19937_64 rng{std::random_device{}()};
  bool claiming = false;
  static inline const char* name = "webhook_dispatcher";
};

using dispatcher = caf::stateful_actor<dispatcher_state>;

// When attempt `failed` (1-based) has failed: the next attempt's time, or 0 when the
// schedule is exhausted.
std::int64_t next_attempt_at(dispatcher* self, const storage::webhook_delivery_row& d,
                             std::int64_t failed, std::int64_t now) {
  if (failed >= max_attempts) return 0;
  std::uniform_real_distribution<double> jitter{0.8, 1.2};
  const double offset_ms = static_cast<double>(webhook_retry_offsets[failed - 1]) * 1000.0 *
                           self->state.p.retry_scale * jitter(self->state.rng);
  return std::max(now, d.created_at + static_cast<std::int64_t>(offset_ms));
}

storage::notification_row disabled_notice(const storage::webhook_attempt& a,
                                          const storage::webhook_health& h) {
  storage::notification_row n;
  n.id = make_id("ntf");
  n.user_id = h.creator_id;
  n.kind = "webhook_disabled";
  n.room_id = h.room_id;
  n.ref_id = a.webhook_id;
  n.body = boost::json::serialize(
      boost::json::object{{"webhookId", a.webhook_id}, {"url", h.url}, {"reason", h.reason}});
  n.created_at = a.at;
  return n;
}

void record(dispatcher* self, storage::webhook_attempt a) {
  struct recorded {
    storage::webhook_health health;
    std::optional<storage::notification_row> notice;
  };
  store_call(
      self, self->state.p.writer,
      [a](storage::store& db) -> storage::expected<recorded> {
        auto h = db.record_webhook_attempt(a);
        if (!h) return h.error();
        recorded out{*h, std::nullopt};
        if (h->disabled_now && !h->creator_id.empty()) {
          auto n = db.create_notification(disabled_notice(a, *h));
          if (n) out.notice = std::move(*n);
        }
        return out;
      },
      [self, a](recorded& r) {
        if (!r.health.disabled_now) return;
        spdlog::warn("webhook {} disabled: {}", a.webhook_id, r.health.reason);
        if (!r.notice) return;
        auto frame = codec::encode_notification_frame(*r.notice);
        if (self->state.p.registry)
          caf::anon_send(self->state.p.registry, notify_atom::value, r.notice->user_id, frame);
        if (self->state.p.notify_other_nodes)
          self->state.p.notify_other_nodes(r.notice->user_id, frame);
      },
      [a](const error_info& e) {
        // The lease runs out and the delivery is tried again: at least once still holds.
        spdlog::warn("webhook delivery {}: cannot record attempt: {}", a.delivery_id, e.message);
      });
}

// Sends one claimed delivery (blocking: this actor has its own thread) and records it.
void deliver_one(dispatcher* self, const storage::webhook_job& job) {
  const auto& d = job.delivery;
  std::vector<std::string> secrets{job.secret};
  if (!job.previous_secret.empty()) secrets.push_back(job.previous_secret);
  auto headers = auth::webhook_signature_headers(d.msg_id, now_ms() / 1000, d.payload, secrets);
  headers.emplace_back("User-Agent", "Relay-Webhooks/1");
  auth::http_fetch_limits limits;
  limits.max_body = max_response_body;
  limits.vet = [allow = self->state.p.allow](const std::string& host, const std::string& ip) {
    return auth::refused_webhook_address(host, ip, allow);
  };
  const auto started = std::chrono::steady_clock::now();
  auto res = auth::http_fetch_vetted("POST", job.url, headers, d.payload, request_timeout, limits);
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  storage::webhook_attempt a;
  a.delivery_id = d.id;
  a.webhook_id = d.webhook_id;
  a.attempt = d.attempt + 1;
  a.latency_ms = latency;
  a.at = now_ms();
  a.disable_after = disable_after_failed_deliveries;
  bool retry = false;
  if (!res.error.empty()) {
    a.error = res.error;
    // A refused address is the hook's configuration, not a passing failure.
    retry = res.error.rfind("refused:", 0) != 0;
  } else {
    a.status_code = res.status;
    if (res.status >= 200 && res.status < 300) {
      a.state = "succeeded";
    } else if (res.status == 410) {
      a.error = "410 Gone: the receiver asked to stop";
      a.disable = true;
      a.disable_reason = "the receiver answered 410 Gone";
    } else {
      a.error = "HTTP " + std::to_string(res.status);
      retry = res.status >= 500 || res.status == 408 || res.status == 429;
    }
  }
  if (a.state.empty()) {
    const auto next = retry ? next_attempt_at(self, d, a.attempt, a.at) : 0;
    a.state = next ? "pending" : "failed";
    if (retry && !next) {
      a.disable = true;
      a.disable_reason = "a delivery failed after " + std::to_string(max_attempts) + " attempts";
    }
    a.next_attempt_at = next ? next : d.next_attempt_at;
  } else {
    a.next_attempt_at = d.next_attempt_at;
  }
  record(self, std::move(a));
}

void claim(dispatcher* self) {
  auto& st = self->state;
  if (st.claiming) return;
  st.claiming = true;
  const auto now = now_ms();
  store_call(
      self, st.p.writer,
      [now](storage::store& db) { return db.claim_webhook_deliveries(now, lease_ms, claim_limit); },
      [self](std::vector<storage::webhook_job>& jobs) {
        for (auto& j : jobs) deliver_one(self, j);
        self->state.claiming = false;
        // A full claim suggests more are due: look again at once.
        if (jobs.size() == static_cast<std::size_t>(claim_limit))
          self->send(self, tick_atom::value);
        else
          self->delayed_send(self, self->state.poll, tick_atom::value);
      },
      [self](const error_info& e) {
        spdlog::warn("webhooks: cannot claim deliveries: {}", e.message);
        self->state.claiming = false;
        self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
      });
}

caf::behavior run(dispatcher* self, webhook_dispatch_params p) {
  auto& st = self->state;
  st.p = std::move(p);
  // Poll at least as often as a tenth of the first retry's delay, so a scaled schedule
  // (tests) keeps its shape; 250 ms bounds the event-to-request latency otherwise.
  const auto first_retry_ms = static_cast<std::int64_t>(
      static_cast<double>(webhook_retry_offsets[0]) * 1000.0 * st.p.retry_scale);
  st.poll = std::chrono::milliseconds(std::clamp<std::int64_t>(first_retry_ms / 10, 20, 250));
  if (st.p.single_node) {
    store_call(
        self, st.p.writer, [](storage::store& db) { return db.release_webhook_leases(); },
        [self] { self->send(self, tick_atom::value); },
        [self](const error_info& e) {
          spdlog::warn("webhooks: cannot release leases: {}", e.message);
          self->send(self, tick_atom::value);
        });
  } else {
    self->send(self, tick_atom::value);
  }
  return {
      [self](tick_atom) { claim(self); },
  };
}

}  // namespace

caf::actor spawn_webhook_dispatcher(caf::actor_system& sys, webhook_dispatch_params p) {
  return sys.spawn<caf::detached>(run, std::move(p));
}

}  // namespace relay
