#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
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
/// SQLite implements it for a single node; a Postgres implementation serves the
/// cluster. Writes happen inside `begin()`/`commit()` so the writer actor can
/// group many operations into one transaction (one fsync).
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

  /// Stores only `token_hash` (hex SHA-256 of the secret).
  virtual token_row create_token(const std::string& user_id, const std::string& name,
                                 const std::string& token_hash) = 0;
  /// The user owning a live (not revoked) token with this hash.
  virtual std::optional<user_row> find_user_by_token_hash(const std::string& token_hash) = 0;
  /// Same, with the token's id (so revoking it can end the sessions it opened).
  virtual std::optional<credential> find_credential(const std::string& token_hash) = 0;
  virtual std::vector<token_row> list_tokens(const std::string& user_id) = 0;
  /// False when the token does not exist or belongs to someone else.
  virtual bool revoke_token(const std::string& user_id, const std::string& token_id) = 0;

  // -- rooms and channels ---------------------------------------------------

  virtual std::optional<room_row> find_room_by_slug(const std::string& slug) = 0;
  virtual std::vector<channel_row> list_channels(const std::string& room_id) = 0;
  /// Fails with `conflict` when the slug is taken in the room.
  virtual result<channel_row> create_channel(const channel_row& row) = 0;

  // -- messages -------------------------------------------------------------

  /// Assigns the next seq in the message's channel, or returns the stored original
  /// when (author_id, client_msg_id) exists. Call inside a transaction.
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

  // -- health -----------------------------------------------------------------

  virtual bool healthy() = 0;

  /// Why the most recent call failed (calls do not throw), or `errc::none`.
  virtual const error_info& last_error() const noexcept = 0;
};

}  // namespace relay::storage
