#pragma once

// The rows of outbound webhooks (docs/api.md "Outbound webhooks"): the hooks a room
// owner registered and the outbox of their deliveries.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relay::storage {

struct webhook_row {
  std::string id;  // whk_…
  std::string room_id;
  std::string creator_id;
  std::string url;
  std::vector<std::string> events;
  std::string description;
  bool enabled = true;
  std::string secret;                      // whsec_…: signs every request
  std::string previous_secret;             // "" or the secret before the last rotation
  std::int64_t previous_secret_until = 0;  // ms; the previous secret signs until then
  std::int64_t failure_count = 0;          // deliveries that failed for good in a row
  std::string last_state;                  // "" (none yet) | pending | succeeded | failed
  std::optional<std::int64_t> last_status_code;
  std::optional<std::int64_t> last_attempt_at;
  std::string disabled_reason;  // why the hook was switched off by Relay, if it was
  std::int64_t created_at = 0;
};

/// What PATCH changes; unset fields stay. Enabling clears the failure run.
struct webhook_change {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<bool> enabled;
};

struct webhook_delivery_row {
  std::string id;  // dlv_…
  std::string webhook_id;
  std::string event;
  std::string payload;            // the request body, the same on every attempt
  std::string msg_id;             // msg_…: the `webhook-id` header, the same on every attempt
  std::int64_t attempt = 0;       // attempts made so far
  std::string state = "pending";  // pending | succeeded | failed
  std::int64_t next_attempt_at = 0;
  std::optional<std::int64_t> status_code;
  std::optional<std::int64_t> latency_ms;
  std::string error;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

/// A delivery claimed for sending, with what its hook signs and sends with.
struct webhook_job {
  webhook_delivery_row delivery;
  std::string url;
  std::string secret;
  std::string previous_secret;  // "" unless it still signs
  std::string room_id;
  std::string creator_id;
};

/// The outcome of one attempt, as the dispatcher decided it.
struct webhook_attempt {
  std::string delivery_id;
  std::string webhook_id;
  std::int64_t attempt = 0;  // this attempt's number (1 = first)
  std::string state;         // pending (retry at next_attempt_at) | succeeded | failed
  std::int64_t next_attempt_at = 0;
  std::optional<std::int64_t> status_code;
  std::int64_t latency_ms = 0;
  std::string error;
  bool disable = false;            // switch the hook off now (410 Gone, retries exhausted)
  std::string disable_reason;      // why, for the owner
  std::int64_t disable_after = 0;  // switch it off when this many deliveries failed in a row
  std::int64_t at = 0;
};

/// What recording an attempt did to its hook.
struct webhook_health {
  bool disabled_now = false;  // this attempt switched the hook off
  std::string room_id;
  std::string creator_id;
  std::string url;
  std::string reason;
};

}  // namespace relay::storage
