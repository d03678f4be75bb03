#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "storage/hall_rows.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// Result of a store call that can fail with a client-visible reason.
template <class T>
struct result {
  std::optional<T> value;
  error_info error;

  static result ok(T v) { return {std::move(v), {}}; }
  static result fail(errc c, std::string msg) { return {std::nullopt, {c, std::move(msg)}}; }
  explicit operator bool() const noexcept { return value.has_value(); }
};

/// The store of record. Calls block: only storage actors (detached, off the
/// scheduler threads) and operator commands call it. One instance per thread:
/// implementations hold a connection and are not thread-safe.
///
/// SQLite implements it (storage/sqlite_store). Writes happen inside `begin()`/`commit()` so the
/// writer actor can group many operations into one transaction (one fsync).
class store {
 public:
  virtual ~store() = default;

  // -- transactions ---------------------------------------------------------

  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;

  // -- users and tokens -----------------------------------------------------

  /// Fails with `conflict` when the login is taken.
  virtual result<user_row> create_user(const std::string& login, const std::string& name,
                                       const std::string& email) = 0;
  virtual std::optional<user_row> find_user_by_login(const std::string& login) = 0;
  virtual std::optional<user_row> find_user(const std::string& id) = 0;

  /// Finds the user with this provider id and refreshes its profile, or creates one.
  /// A new user whose login is taken by another account gets `<login>-<github_id>`.
  virtual result<user_row> upsert_oauth_user(const oauth_profile& p) = 0;
  /// The users with these logins (case-insensitive); unknown logins are left out.
  virtual std::vector<user_row> find_users_by_logins(const std::vector<std::string>& logins) = 0;

  /// Stores only `token_hash` (hex SHA-256 of the secret). `kind` is "api" or "session".
  virtual token_row create_token(const std::string& user_id, const std::string& name,
                                 const std::string& token_hash, const std::string& kind = "api",
                                 std::optional<std::int64_t> expires_at = std::nullopt) = 0;
  /// The user owning a live (not revoked, not expired) token with this hash.
  virtual std::optional<user_row> find_user_by_token_hash(const std::string& token_hash) = 0;
  /// Same, with the token's id (so revoking it can end the sessions it opened).
  /// Expired tokens (expires_at <= now) are not found.
  virtual std::optional<credential> find_credential(const std::string& token_hash) = 0;
  /// The user's API tokens (kind "api" only; sessions are not listed).
  virtual std::vector<token_row> list_tokens(const std::string& user_id) = 0;
  /// Revokes a token of either kind. False when it does not exist or belongs to
  /// someone else.
  virtual bool revoke_token(const std::string& user_id, const std::string& token_id) = 0;

  // -- rooms and channels ---------------------------------------------------

  virtual std::optional<room_row> find_room_by_slug(const std::string& slug) = 0;
  /// Fails with `conflict` when the slug is taken.
  virtual result<room_row> create_room(const room_row& row) = 0;
  /// Applies the set fields. Fails with `conflict` on a taken slug, `not_found` for an
  /// unknown room. Returns the updated row.
  virtual result<room_row> update_room(const std::string& room_id, const room_patch& patch) = 0;

  virtual std::vector<channel_row> list_channels(const std::string& room_id) = 0;
  /// Creates the channel and its member rows (`member_ids`, duplicates ignored) in one
  /// savepoint. Fails with `conflict` when the slug is taken in the room.
  virtual result<channel_row> create_channel(const channel_row& row,
                                             const std::vector<std::string>& member_ids = {}) = 0;
  /// Deletes the channel, its members, its messages and its seq counter. False when
  /// the channel does not exist.
  virtual bool delete_channel(const std::string& channel_id) = 0;
  /// Every (channel, user) membership of the room's channels.
  virtual std::vector<channel_member_row> list_channel_members(const std::string& room_id) = 0;
  /// Everyone who has spoken in the room, is a member of one of its channels, is on its
  /// whitelist (by login or email) or owns it; ordered by login.
  virtual std::vector<user_row> list_room_members(const std::string& room_id) = 0;

  // -- whitelist and access requests -------------------------------------------

  virtual std::vector<whitelist_row> list_whitelist(const std::string& room_id) = 0;
  /// Fails with `conflict` when the same login or email (case-insensitive) is listed.
  virtual result<whitelist_row> add_whitelist(const whitelist_row& row) = 0;
  /// Returns the removed entry; nullopt when it is not in this room.
  virtual std::optional<whitelist_row> remove_whitelist(const std::string& room_id,
                                                        const std::string& entry_id) = 0;

  /// Fails with `conflict` when the user already has a pending request for the room.
  virtual result<access_request_row> create_access_request(const access_request_row& row) = 0;
  /// Requests of a room in `state` ("" = all), oldest first, requester login joined.
  virtual std::vector<access_request_row> list_access_requests(const std::string& room_id,
                                                               const std::string& state) = 0;
  /// Marks a pending request approved or denied; approving also whitelists the
  /// requester's login, both in one savepoint. `not_found` for an unknown id or another
  /// room's; `conflict` when it is no longer pending. Returns the updated request.
  virtual result<access_request_row> decide_access_request(const std::string& room_id,
                                                           const std::string& request_id,
                                                           bool approve,
                                                           const std::string& decided_by,
                                                           std::int64_t decided_at) = 0;

  // -- notifications --------------------------------------------------------------

  virtual notification_row create_notification(const notification_row& row) = 0;
  /// The user's notifications, newest first, at most `limit`.
  virtual std::vector<notification_row> list_notifications(const std::string& user_id,
                                                           int limit) = 0;

  // -- messages -------------------------------------------------------------

  /// Assigns the next seq in the message's channel (above `seq_floor`) and reserves a
  /// block of seqs ahead of it, or returns the stored original when (author_id,
  /// client_msg_id) exists. Call inside a transaction.
  virtual append_result append_message(const new_message& msg) = 0;
  virtual std::optional<message_row> find_message(const std::string& id) = 0;
  /// Sets content and edited_at. Call inside a transaction.
  virtual std::optional<message_row> edit_message(const std::string& id, const std::string& content,
                                                  std::int64_t edited_at) = 0;
  /// Deletes the row; returns what was deleted. Call inside a transaction.
  virtual std::optional<message_row> delete_message(const std::string& id) = 0;

  virtual std::vector<message_row> list_messages(const message_query& q) = 0;
  /// The newest `n` messages of a channel, oldest first.
  virtual std::vector<message_row> tail(const std::string& room_id, const std::string& channel_id,
                                        int n) = 0;
  /// Highest seq in a channel, 0 when empty.
  virtual std::int64_t last_seq(const std::string& room_id, const std::string& channel_id) = 0;
  /// Called by the writer when it starts: every channel continues above its reserved
  /// seqs, which clients may have seen before a crash (see append_result::reserved).
  virtual void skip_reserved_seqs() = 0;
  /// Called by the writer when it stops cleanly with every seq it handed out
  /// committed: the next start continues without a gap.
  virtual void release_reserved_seqs() = 0;

  // -- agent relay ------------------------------------------------------------
  //
  // Agents and apps are registered by an operator. Their ids are 1..64 characters of
  // a-z A-Z 0-9 - _ . (anything else is `bad_request`); their bearer tokens are stored
  // only as `token_hash` (hex SHA-256 of the whole token string), which is unique.

  /// Stores the agent with `row`'s fields (`created_at` 0 means now) and returns it.
  /// Fails with `conflict` when the agent id or the token hash is taken,
  /// `missing_field` for an empty hash.
  virtual result<agent_row> create_agent(const agent_row& row, const std::string& token_hash) = 0;
  /// Replaces the agent's token hash; the old hash stops matching at once. False for an
  /// unknown agent (`last_error()` stays clear) or a failure (`conflict` when another
  /// agent has this hash, `missing_field` for an empty one).
  virtual bool rotate_agent_token(const std::string& agent_id, const std::string& token_hash) = 0;
  virtual std::optional<agent_row> find_agent_by_token_hash(const std::string& token_hash) = 0;
  virtual std::optional<agent_row> find_agent(const std::string& agent_id) = 0;
  /// Every agent, by agent id.
  virtual std::vector<agent_row> list_agents() = 0;
  /// Sets last_seen and adds `served` to events_served. `not_found` for an unknown
  /// agent. Call inside a transaction.
  virtual void touch_agent(const std::string& agent_id, std::int64_t last_seen,
                           std::int64_t served) = 0;

  /// Stores the app and its allowlist (`row.allowlist`, duplicates ignored) in one
  /// savepoint and returns it with the allowlist sorted (`created_at` 0 means now).
  /// Fails with `conflict` when the app id or the token hash is taken, `not_found`
  /// when an allowlisted agent does not exist (then nothing is stored).
  virtual result<app_row> create_app(const app_row& row, const std::string& token_hash) = 0;
  /// The app with this token hash, with its allowlist.
  virtual std::optional<app_row> find_app_by_token_hash(const std::string& token_hash) = 0;
  /// The app, with its allowlist.
  virtual std::optional<app_row> find_app(const std::string& app_id) = 0;
  /// Every app with its allowlist, by app id.
  virtual std::vector<app_row> list_apps() = 0;
  /// Replaces the app's allowlist (duplicates ignored) in one savepoint. `not_found`
  /// for an unknown app or any unknown agent id (then nothing changes). Returns the
  /// updated app.
  virtual result<app_row> set_allowlist(const std::string& app_id,
                                        const std::vector<std::string>& agent_ids) = 0;

  // -- room bots ----------------------------------------------------------------

  /// Creates the bot's user (`login`, `name`; email empty) and binds it to the room, in one
  /// savepoint. conflict: the login is taken (case-insensitive, by anyone); not_found: unknown
  /// room, or `agent_id` set and no such agent; bad_request: login not 1..39 of A-Z a-z 0-9 - _.
  /// Nothing is stored on failure.
  virtual result<bot_row> create_bot(const std::string& room_id, const std::string& login,
                                     const std::string& name, const std::string& agent_id,
                                     const std::string& prefix) = 0;
  /// The room's bots, by login (case-insensitive), with their users; empty for an
  /// unknown room.
  virtual std::vector<bot_row> list_bots(const std::string& room_id) = 0;

  // -- halls (docs/halls.md) -----------------------------------------------------

  /// Creates a workspace on `plan` ("starter" | "growth") and its first key, stored only
  /// as `key_hash`. `bad_request` for another plan, `conflict` for a taken hash.
  virtual result<hall_key_row> create_hall_key(const std::string& plan, bool test_mode,
                                               const std::string& key_hash) = 0;
  virtual std::optional<hall_key_row> find_hall_key(const std::string& key_hash) = 0;
  /// Stores the hall (`created_at` 0 means now) and returns it.
  virtual result<hall_row> create_hall(const hall_row& row) = 0;
  /// The hall with its grants and sessions (by joined_at), for its actor.
  virtual std::optional<hall_snapshot> load_hall(const std::string& hall_id) = 0;
  /// Applies `change` in one savepoint. False (and nothing changes) when
  /// `change.webhook_id` was applied before; `not_found` for an unknown hall.
  virtual result<bool> apply_hall_change(const hall_change& change) = 0;
  /// Participant-minutes in the ledger for a workspace, mode and month ("YYYY-MM").
  virtual std::int64_t hall_usage_minutes(const std::string& workspace_id, bool test_mode,
                                          const std::string& period) = 0;

  // -- health -----------------------------------------------------------------

  virtual bool healthy() = 0;

  /// Why the most recent call failed (calls do not throw), or `errc::none`.
  virtual const error_info& last_error() const noexcept = 0;
};

}  // namespace relay::storage
