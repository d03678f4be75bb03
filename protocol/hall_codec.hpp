#pragma once

// JSON of halls (docs/halls.md): the REST bodies and answers, and LiveKit's webhook
// events (protobuf JSON: camelCase, int64 as a string or a number; snake_case accepted).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/billing.hpp"
#include "core/error.hpp"
#include "protocol/hall_types.hpp"
#include "storage/hall_rows.hpp"

namespace relay::codec::halls {

/// POST /v1/halls: `{name, max_participants?}` -> a row with `name` and
/// `max_participants` set. `name` is 1..200 characters; max_participants 1..100000.
std::variant<storage::hall_row, error_info> decode_create_hall(std::string_view json);

/// POST /v1/halls/:id/join: `{participant_id, display_name, role}`, all required strings
/// (missing: `MISSING_FIELD`; a role other than publisher | subscriber: `INVALID_ROLE`).
std::variant<storage::hall_grant_row, error_info> decode_join(std::string_view json);

/// A LiveKit WebhookEvent. Events that open or end a session must carry their time
/// (`createdAt`, or `participant.joinedAt` for a join), and every time must be in
/// seconds within 2000 .. a day after `received_ms`; otherwise a 400.
std::variant<livekit_event, error_info> decode_webhook(std::string_view json,
                                                       std::int64_t received_ms);

/// `{hall_id, name, status, max_participants, created_at, closed_at, participants}` with
/// the participants connected now (`participant_id, display_name, role, joined_at`).
std::string encode_hall(const storage::hall_row& hall,
                        const std::vector<storage::hall_session_row>& sessions);

/// `{join_token, livekit_url, hall_id, participant_id, expires_at}`.
std::string encode_join(const std::string& token, const std::string& livekit_url,
                        const std::string& hall_id, const std::string& participant_id,
                        std::int64_t expires_at_ms);

/// `{hall_id, sessions: [{participant_id, display_name, role, joined_at, left_at,
/// minutes}], total_minutes}`. An open session shows `left_at: null` and its minutes so
/// far (as if it ended at `now_ms`); a leave still waiting for its join is left out.
std::string encode_participants(const std::string& hall_id,
                                const std::vector<storage::hall_session_row>& sessions,
                                std::int64_t now_ms);

/// `{period, plan, mode, included_minutes, used_minutes, overage_minutes,
/// overage_cost_usd}`; the cost is an exact decimal number of dollars.
std::string encode_usage(const std::string& period, billing::plan plan, bool test_mode,
                         const billing::usage& u);

/// The join token's `metadata` (opaque to LiveKit): `{role, workspace_id}`.
std::string encode_token_metadata(storage::hall_role role, const std::string& workspace_id);

/// `{status}`: applied | duplicate | ignored.
std::string encode_webhook_status(const std::string& status);

}  // namespace relay::codec::halls
