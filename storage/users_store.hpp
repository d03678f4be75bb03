#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// Users and what signs them in: logins, OAuth profiles, API tokens and browser sessions
/// (both stored only as hashes), and each user's notifications.
class users_store {
 public:
  virtual ~users_store() = default;

  // -- users --------------------------------------------------------------------

  /// `bad_request` for a login that breaks core/login.hpp's rule; `conflict` when the
  /// login is taken (logins ignore case).
  virtual expected<user_row> create_user(const std::string& login, const std::string& name,
                                         const std::string& email) = 0;
  virtual expected<user_row> find_user_by_login(const std::string& login) = 0;
  virtual expected<user_row> find_user(const std::string& id) = 0;

  /// Finds the user with this provider id and refreshes its profile, or creates one.
  /// A new user whose login is taken by another account gets `<login>-<github_id>`.
  virtual expected<user_row> upsert_oauth_user(const oauth_profile& p) = 0;
  /// The users with these logins (case-insensitive); unknown logins are left out.
  virtual expected<std::vector<user_row>> find_users_by_logins(
      const std::vector<std::string>& logins) = 0;

  // -- tokens and sessions ----------------------------------------------------------

  /// Stores only `token_hash` (hex SHA-256 of the secret).
  virtual expected<token_row> create_token(
      const std::string& user_id, const std::string& name, const std::string& token_hash,
      token_kind kind = token_kind::api, std::optional<std::int64_t> expires_at = std::nullopt) = 0;
  /// The user owning a live (not revoked, not expired) token with this hash.
  virtual expected<user_row> find_user_by_token_hash(const std::string& token_hash) = 0;
  /// Same, with the token's id (so revoking it can end the sessions it opened).
  /// Expired tokens (expires_at <= now) are not found.
  virtual expected<credential> find_credential(const std::string& token_hash) = 0;
  /// The user's API tokens (`token_kind::api` only; sessions are not listed).
  virtual expected<std::vector<token_row>> list_tokens(const std::string& user_id) = 0;
  /// Revokes a token of either kind. `not_found` when it does not exist, is revoked
  /// already or belongs to someone else.
  virtual expected<void> revoke_token(const std::string& user_id, const std::string& token_id) = 0;

  // -- notifications --------------------------------------------------------------

  /// `missing_field` without user or kind; `not_found` for an unknown user.
  virtual expected<notification_row> create_notification(const notification_row& row) = 0;
  /// The user's notifications, newest first, at most `limit`.
  virtual expected<std::vector<notification_row>> list_notifications(const std::string& user_id,
                                                                     int limit) = 0;
  /// A `mention` notification (kind is set to it) of `row.user_id` about message
  /// `row.ref_id`; nullopt, and nothing written, when that message notified that user
  /// already (an edit mentioning them again). Not an error, so a batch goes on.
  virtual expected<std::optional<notification_row>> create_mention(const notification_row& row) = 0;
  /// A page of the user's notifications (see notification_query), newest first.
  virtual expected<std::vector<notification_row>> page_notifications(
      const notification_query& q) = 0;
  /// Applies `change` to the user's notification `id` and returns it as it is now.
  /// `not_found` when it is not the user's; `forbidden` for a visibility change unless the
  /// user owns the room the notification is about.
  virtual expected<notification_row> update_notification(const std::string& user_id,
                                                         const std::string& id,
                                                         const notification_change& change) = 0;
};

}  // namespace relay::storage
