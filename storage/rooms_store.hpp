#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// Rooms and who may be in them: channels and their members, the whitelist, access
/// requests and the room's bots.
class rooms_store {
 public:
  virtual ~rooms_store() = default;

  // -- rooms ----------------------------------------------------------------------

  virtual expected<room_row> find_room_by_slug(const std::string& slug) = 0;
  /// `conflict` when the slug is taken; `not_found` for an unknown owner.
  virtual expected<room_row> create_room(const room_row& row) = 0;
  /// Applies the set fields. `conflict` on a taken slug, `not_found` for an unknown
  /// room. Returns the updated row.
  virtual expected<room_row> update_room(const std::string& room_id, const room_patch& patch) = 0;

  // -- channels -------------------------------------------------------------------

  virtual expected<std::vector<channel_row>> list_channels(const std::string& room_id) = 0;
  /// Creates the channel and its member rows (`member_ids`, duplicates ignored) in one
  /// savepoint. `conflict` when the slug is taken in the room.
  virtual expected<channel_row> create_channel(const channel_row& row,
                                               const std::vector<std::string>& member_ids = {}) = 0;
  /// Deletes the channel, its members, its messages and its seq counter. `not_found`
  /// when the channel does not exist.
  virtual expected<void> delete_channel(const std::string& channel_id) = 0;
  /// Every (channel, user) membership of the room's channels.
  virtual expected<std::vector<channel_member_row>> list_channel_members(
      const std::string& room_id) = 0;
  /// Everyone who has spoken in the room, is a member of one of its channels, is on its
  /// whitelist (by login or email) or owns it; ordered by login.
  virtual expected<std::vector<user_row>> list_room_members(const std::string& room_id) = 0;

  // -- whitelist and access requests ------------------------------------------------

  virtual expected<std::vector<whitelist_row>> list_whitelist(const std::string& room_id) = 0;
  /// `conflict` when the same login or email (case-insensitive) is listed.
  virtual expected<whitelist_row> add_whitelist(const whitelist_row& row) = 0;
  /// Returns the removed entry; `not_found` when it is not in this room.
  virtual expected<whitelist_row> remove_whitelist(const std::string& room_id,
                                                   const std::string& entry_id) = 0;

  /// `conflict` when the user already has a pending request for the room.
  virtual expected<access_request_row> create_access_request(const access_request_row& row) = 0;
  /// Requests of a room in `state` (nullopt = all), oldest first, requester login joined.
  virtual expected<std::vector<access_request_row>> list_access_requests(
      const std::string& room_id, std::optional<request_state> state) = 0;
  /// Marks a pending request approved or denied; approving also whitelists the
  /// requester's login, both in one savepoint. `not_found` for an unknown id or another
  /// room's; `conflict` when it is no longer pending. Returns the updated request.
  virtual expected<access_request_row> decide_access_request(const std::string& room_id,
                                                             const std::string& request_id,
                                                             bool approve,
                                                             const std::string& decided_by,
                                                             std::int64_t decided_at) = 0;

  // -- room bots --------------------------------------------------------------------

  /// Creates the bot's user (`login`, `name`; email empty) and binds it to the room, in one
  /// savepoint. conflict: the login is taken (case-insensitive, by anyone); not_found: unknown
  /// room, or `agent_id` set and no such agent; bad_request: login not 1..39 of A-Z a-z 0-9 - _.
  /// Nothing is stored on failure.
  virtual expected<bot_row> create_bot(const std::string& room_id, const std::string& login,
                                       const std::string& name, const std::string& agent_id,
                                       const std::string& prefix) = 0;
  /// The room's bots, by login (case-insensitive), with their users; empty for an
  /// unknown room.
  virtual expected<std::vector<bot_row>> list_bots(const std::string& room_id) = 0;
};

}  // namespace relay::storage
