#pragma once

#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/incoming_hook_rows.hpp"

namespace relay::storage {

/// Incoming webhooks (docs/api.md, "Incoming webhooks").
class incoming_hooks_store {
 public:
  virtual ~incoming_hooks_store() = default;

  /// Stores `row` (its `user_id` a fresh id) and its bot user (login `bot_login`, name
  /// `row.name`) in one savepoint; `secret_hash` is the hex SHA-256 of its secret.
  /// `not_found` when the room is gone, `conflict` when the login or hash is taken.
  virtual expected<incoming_hook_row> create_incoming_hook(const incoming_hook_row& row,
                                                           const std::string& bot_login,
                                                           const std::string& secret_hash) = 0;
  /// The room's hooks that are not revoked, oldest first.
  virtual expected<std::vector<incoming_hook_row>> list_incoming_hooks(
      const std::string& room_id) = 0;
  /// Revokes hook `id` of `room_id`; `not_found` for an unknown or already revoked one.
  virtual expected<incoming_hook_row> revoke_incoming_hook(const std::string& room_id,
                                                           const std::string& id) = 0;
  /// The live hook whose secret hashes to `secret_hash`; `not_found` when none is.
  virtual expected<incoming_hook_row> find_incoming_hook(const std::string& secret_hash) = 0;
};

}  // namespace relay::storage
