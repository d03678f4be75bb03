#include "actors/webhook_dispatcher.hpp"

#include <algorithm>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/store_call.hpp"
#include "actors/webhook_outbox.hpp"
#include "actors/webhook_pool.hpp"
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
using done_atom = caf::atom_constant<caf::atom("whdone")>;

// Requests a node has in flight at most: enough that a busy room's ten hooks do not wait
// on one another, few enough for a small receiver. A slot is taken when its delivery is
// claimed and freed once its answer is recorded; free slots are claimed together.
constexpr int pool_size = 16;
// Far longer than a request's worst case (request_timeout, then a write), so a lease
// never runs out while its node is still sending.
constexpr std::int64_t lease_ms = 3 * 60 * 1000;
constexpr auto request_timeout = std::chrono::seconds(10);
constexpr std::size_t max_response_body = 64 * 1024;
constexpr int max_attempts = 1 + static_cast<int>(std::size(webhook_retry_offsets));
// Deliveries refused for good (a 4xx) in a row that switch their hook off; one that failed
// after every retry does at once: by then the receiver has been failing for ~24 hours.
constexpr std::int64_t disable_after_failed_deliveries = 5;

// The actor is event-based: requests run on the pool's own thread (webhook_pool) and each
// answer comes back as a message, so the actor never blocks and a slow receiver holds up
// only its own slot. The pool goes with the actor (attach_functor): its requests are
// cancelled and its thread joined, and an answer that arrives later finds no actor.
struct dispatcher_state {
  webhook_dispatch_params p;
  std::shared_ptr<webhook_pool> pool;
  auth::http_fetch_limits limits;
  std::chrono::milliseconds poll{250};
  std::mt19937_64 rng{std::random_device{}()};
  // Deliveries sent and not yet answered, by token.
  std::unordered_map<std::uint64_t, storage::webhook_job> sent;
  std::uint64_t next_token = 0;
  // Slots taken: claimed deliveries whose attempt is not yet recorded.
  int busy = 0;
  bool claiming = false;
  // A doorbell rang or a slot freed during a claim: look again as soon as it ends.
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

void claim(dispatcher* self);

// The attempt is recorded (or cannot be): its slot is free for the next claim.
void release_slot(dispatcher* self) {
  --self->state.busy;
  claim(self);
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
        release_slot(self);
        if (!r.health.disabled_now) return;
        spdlog::warn("webhook {} disabled: {}", a.webhook_id, r.health.reason);
        if (!r.notice) return;
        auto frame = codec::encode_notification_frame(*r.notice);
        if (self->state.p.registry)
          caf::anon_send(self->state.p.registry, notify_atom::value, r.notice->user_id, frame);
        if (self->state.p.notify_other_nodes)
          self->state.p.notify_other_nodes(r.notice->user_id, frame);
      },
      [self, a](const error_info& e) {
        release_slot(self);
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

// Starts the claimed deliveries on the pool; each answer comes back as a done_atom.
void deliver(dispatcher* self, std::vector<storage::webhook_job>& jobs) {
  auto& st = self->state;
  for (auto& j : jobs) {
    const auto token = ++st.next_token;
    auto request = request_of(j);
    st.sent.emplace(token, std::move(j));
    st.pool->start(std::move(request), request_timeout, st.limits,
                   [addr = self->address(), token](auth::http_result r) {
                     if (auto me = caf::actor_cast<caf::actor>(addr))
                       caf::anon_send(me, done_atom::value, token, r.status, std::move(r.error),
                                      r.elapsed_ms);
                   });
  }
}

void poll_later(dispatcher* self, std::chrono::milliseconds delay) {
  self->delayed_send(self, delay, poll_atom::value, ++self->state.poll_gen);
}

// Claims as many due deliveries as there are free slots, one claim at a time. With every
// slot taken it does nothing: the next recorded answer claims again.
void claim(dispatcher* self) {
  auto& st = self->state;
  if (st.claiming) {
    st.again = true;
    return;
  }
  const int free = pool_size - st.busy;
  if (free <= 0) return;
  st.claiming = true;
  st.again = false;
  st.busy += free;
  const auto now = now_ms();
  store_call(
      self, st.p.writer,
      [now, free](storage::store& db) { return db.claim_webhook_deliveries(now, lease_ms, free); },
      [self, free](std::vector<storage::webhook_job>& jobs) {
        auto& st = self->state;
        st.busy -= free - static_cast<int>(jobs.size());
        st.claiming = false;
        const bool full = jobs.size() == static_cast<std::size_t>(free);
        deliver(self, jobs);
        // A full claim suggests more are due, and a doorbell that rang meanwhile says so:
        // look again at once (if a slot is free). Otherwise retries come due by the poll.
        if (full || st.again)
          self->send(self, tick_atom::value);
        else
          poll_later(self, st.poll);
      },
      [self, free](const error_info& e) {
        spdlog::warn("webhooks: cannot claim deliveries: {}", e.message);
        self->state.busy -= free;
        self->state.claiming = false;
        poll_later(self, std::chrono::seconds(1));
      });
}

caf::behavior run(dispatcher* self, webhook_dispatch_params p) {
  auto& st = self->state;
  st.p = std::move(p);
  st.pool = std::make_shared<webhook_pool>();
  self->attach_functor([pool = st.pool] { pool->stop(); });
  st.limits.max_body = max_response_body;
  st.limits.vet = [allow = std::make_shared<const auth::webhook_allowlist>(st.p.allow)](
                      const std::string& host, const std::string& ip) {
    return auth::refused_webhook_address(host, ip, *allow);
  };
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
      [self](done_atom, std::uint64_t token, int status, const std::string& error,
             std::int64_t elapsed_ms) {
        auto it = self->state.sent.find(token);
        if (it == self->state.sent.end()) return;
        auto job = std::move(it->second);
        self->state.sent.erase(it);
        auth::http_result r;
        r.status = status;
        r.error = error;
        r.elapsed_ms = elapsed_ms;
        settle(self, job, r);
      },
  };
}

}  // namespace

caf::actor spawn_webhook_dispatcher(caf::actor_system& sys, webhook_dispatch_params p) {
  return sys.spawn(run, std::move(p));
}

}  // namespace relay
