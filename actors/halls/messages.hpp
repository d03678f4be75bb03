#pragma once

// Message types of halls (docs/halls.md): what the REST handlers and the webhook
// receiver send the hall directory and the hall actors, and what they answer. The
// decoded webhook (`livekit_event`) is a codec type (protocol/hall_types.hpp);
// it becomes a message here.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "protocol/hall_types.hpp"
#include "storage/hall_rows.hpp"

namespace relay {

// -- atoms (verbs) ----------------------------------------------------------------

using hall_atom = caf::atom_constant<caf::atom("hall")>;
using webhook_atom = caf::atom_constant<caf::atom("webhook")>;
using dropped_atom = caf::atom_constant<caf::atom("dropped")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;

// -- messages (nouns) ---------------------------------------------------------------

/// The API key's workspace and mode: a hall answers only its own workspace and mode.
struct hall_caller {
  std::string workspace_id;
  bool test_mode = false;
};

/// A hall's answer to the REST handlers: the hall and every session, or an error.
struct hall_reply {
  error_info error;
  storage::hall_row hall;
  std::vector<storage::hall_session_row> sessions;
};

/// A hall's answer to a webhook: "applied", "duplicate" (id seen before) or "ignored"
/// (nothing to change), or an error when the store failed (LiveKit retries).
struct webhook_reply {
  error_info error;
  std::string status;
};

/// Webhook counters of the hall subsystem, for a metrics endpoint.
struct hall_metrics {
  std::int64_t webhooks_reporting_drops = 0;  // webhooks with numDropped > 0
  std::int64_t webhooks_dropped = 0;          // sum of their numDropped
};

}  // namespace relay

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::livekit_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::hall_caller)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::hall_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::webhook_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::hall_metrics)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::hall_grant_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::storage::hall_snapshot)
