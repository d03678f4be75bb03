#pragma once

// Rows of halls (docs/halls.md): workspaces with a plan, their API keys, halls, the
// participants' grants and sessions, and the participant-minute ledger.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/kinds.hpp"

namespace relay::storage {

/// A hall API key (`relay_live_…` / `relay_test_…`, stored as its SHA-256) and the
/// workspace it belongs to.
struct hall_key_row {
  std::string key_id;        // hk_…
  std::string workspace_id;  // ws_…
  std::string plan;          // starter | growth
  bool test_mode = false;    // relay_test_: tracked, never billed
  std::int64_t created_at = 0;
};

struct hall_row {
  std::string id;  // h_…
  std::string workspace_id;
  bool test_mode = false;  // created with a test key: only test keys see it
  std::string name;
  std::optional<std::int64_t> max_participants;
  std::string status = "open";  // open | closed
  std::int64_t created_at = 0;  // unix ms
  std::optional<std::int64_t> closed_at;
};

/// Who a join token was minted for: names the participant's sessions.
struct hall_grant_row {
  std::string hall_id;
  std::string participant_id;
  std::string display_name;
  hall_role role = hall_role::subscriber;
  std::int64_t granted_at = 0;
};

/// One connected stretch of one participant, with LiveKit's event times.
/// `joined_at` is empty for a leave whose join has not arrived yet (webhooks may come
/// out of order); such a row is completed, and billed, when the join arrives.
struct hall_session_row {
  std::string id;  // hs_…
  std::string hall_id;
  std::string participant_id;
  std::string display_name;
  hall_role role = hall_role::subscriber;
  std::optional<std::int64_t> joined_at;  // unix ms
  std::optional<std::int64_t> left_at;    // unix ms; empty while open
  std::int64_t minutes = 0;               // set once both ends are known
};

/// A hall as its actor starts from: the row, every grant and every session.
struct hall_snapshot {
  hall_row hall;
  std::vector<hall_grant_row> grants;
  std::vector<hall_session_row> sessions;
};

/// One atomic change of a hall: sessions written (inserted or replaced by id), a grant,
/// the hall closed, and the webhook it came from. The store adds a session's minutes
/// to the ledger (its workspace, mode and the month of `left_at`) the first time it is
/// written with both ends known.
struct hall_change {
  std::string hall_id;
  std::string webhook_id;  // "" = not from a webhook; else applied at most once
  std::vector<hall_session_row> sessions;
  std::optional<hall_grant_row> grant;
  std::optional<std::int64_t> closed_at;
};

}  // namespace relay::storage
