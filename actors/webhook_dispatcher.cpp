#include "actors/webhook_dispatcher.hpp"

#include <algorithm>
#include <random>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/store_call.hpp"
#include "actors/webhook_outbox.hpp"
#include "auth/http_client.hpp"
#include "auth/webhook_signing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "protocol/notification_codec.hpp"
#include "storage/store.hpp"

namespace relay {

namespace {

using tick_atom = caf::atom_constant<caf::atom("whtick")>;
using poll_atom = caf::atom_constant<caf::atom("whpoll")>;

// A claim's deliveries are all sent at once (a connection each), so this is also how many
// requests a node has in flight: enough that a busy room's ten hooks do not wait on one
// another, few enough for a small receiver.
constexpr int claim_limit = 16;
// Far longer than a claim's worst case (its requests run together, each within
// request_timeout), so a lease never runs out while its node is still sending.
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
  // A doorbell rang during a claim: look again as soon as it ends.
  bool again = false;
  // Only the latest poll timer counts; older ones, overtaken by a doorbell, are ignored.
  std::uint64_t poll_gen = 0;
  std::uint64_t doorbell = 0;
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

auth::http_request request_of(const storage::webhook_job& job) {
  const auto& d = job.delivery;
  std::vector<std::string> secrets{job.secret};
  if (!job.previous_secret.empty()) secrets.push_back(job.previous_secret);
  auth::http_request r;
  r.method = "POST";
  r.url = job.url;
  r.headers = auth::webhook_signature_headers(d.msg_id, now_ms() / 1000, d.payload, secrets);
  r.headers.emplace_back("User-Agent", "Relay-Webhooks/1");
  r.body = d.payload;
  return r;
}

// Records the answer to one claimed delivery: success, a retry on the schedule, or failure.
void settle(dispatcher* self, const storage::webhook_job& job, const auth::http_result& res) {
  const auto& d = job.delivery;
  storage::webhook_attempt a;
  a.delivery_id = d.id;
  a.webhook_id = d.webhook_id;
  a.attempt = d.attempt + 1;
  a.latency_ms = res.elapsed_ms;
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

// Sends the claimed deliveries, all at once (blocking: this actor has its own thread),
// and records each.
void deliver(dispatcher* self, const std::vector<storage::webhook_job>& jobs) {
  if (jobs.empty()) return;
  std::vector<auth::http_request> requests;
  requests.reserve(jobs.size());
  for (const auto& j : jobs) requests.push_back(request_of(j));
  auth::http_fetch_limits limits;
  limits.max_body = max_response_body;
  limits.vet = [allow = self->state.p.allow](const std::string& host, const std::string& ip) {
    return auth::refused_webhook_address(host, ip, allow);
  };
  auto results = auth::http_fetch_all_vetted(requests, request_timeout, limits);
  for (std::size_t i = 0; i < jobs.size(); ++i) settle(self, jobs[i], results[i]);
}

void poll_later(dispatcher* self, std::chrono::milliseconds delay) {
  self->delayed_send(self, delay, poll_atom::value, ++self->state.poll_gen);
}

void claim(dispatcher* self) {
  auto& st = self->state;
  if (st.claiming) {
    st.again = true;
    return;
  }
  st.claiming = true;
  st.again = false;
  const auto now = now_ms();
  store_call(
      self, st.p.writer,
      [now](storage::store& db) { return db.claim_webhook_deliveries(now, lease_ms, claim_limit); },
      [self](std::vector<storage::webhook_job>& jobs) {
        deliver(self, jobs);
        auto& st = self->state;
        st.claiming = false;
        // A full claim suggests more are due, and a doorbell that rang meanwhile says so:
        // look again at once. Otherwise retries come due by the poll.
        if (jobs.size() == static_cast<std::size_t>(claim_limit) || st.again)
          self->send(self, tick_atom::value);
        else
          poll_later(self, st.poll);
      },
      [self](const error_info& e) {
        spdlog::warn("webhooks: cannot claim deliveries: {}", e.message);
        self->state.claiming = false;
        poll_later(self, std::chrono::seconds(1));
      });
}

caf::behavior run(dispatcher* self, webhook_dispatch_params p) {
  auto& st = self->state;
  st.p = std::move(p);
  // Poll at least as often as a tenth of the first retry's delay, so a scaled schedule
  // (tests) keeps its shape; 250 ms bounds a due retry's wait, and that of a delivery
  // another node enqueued (the doorbell rings only on the node that wrote it).
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
  // The doorbell holds only this actor's address (a weak handle): it never keeps it alive.
  st.doorbell = webhook_outbox::add_doorbell([addr = self->address()] {
    if (auto me = caf::actor_cast<caf::actor>(addr)) caf::anon_send(me, tick_atom::value);
  });
  self->attach_functor([id = st.doorbell] { webhook_outbox::remove_doorbell(id); });
  return {
      [self](tick_atom) { claim(self); },
      [self](poll_atom, std::uint64_t gen) {
        if (gen == self->state.poll_gen) claim(self);
      },
  };
}

}  // namespace

caf::actor spawn_webhook_dispatcher(caf::actor_system& sys, webhook_dispatch_params p) {
  return sys.spawn<caf::detached>(run, std::move(p));
}

}  // namespace relay
