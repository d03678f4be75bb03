#pragma once

#include <string>
#include <vector>

#include "storage/postgres/connection.hpp"
#include "storage/rooms_store.hpp"

namespace relay::storage::postgres {

/// The rooms area on Postgres (schema version 3): rooms, channels and their members, the
/// whitelist, access requests and room bots; the same rules and answers as
/// storage/sqlite/rooms.hpp. A whitelist login or email matches without ASCII case, as
/// SQLite's NOCASE, through lower() on the "C" collation (schema.cpp, version 2).
class rooms : public virtual rooms_store {
 public:
  /// Declares the area's statements on `c`.
  explicit rooms(connection& c);

  expected<room_row> find_room_by_slug(const std::string& slug) override;
  expected<room_row> create_room(const room_row& row) override;
  expected<room_row> update_room(const std::string& room_id, const room_patch& patch) override;

  expected<std::vector<channel_row>> list_channels(const std::string& room_id) override;
  expected<channel_row> create_channel(const channel_row& row,
                                       const std::vector<std::string>& member_ids = {}) override;
  expected<void> delete_channel(const std::string& channel_id) override;
  expected<std::vector<channel_member_row>> list_channel_members(
      const std::string& room_id) override;
  expected<std::vector<user_row>> list_room_members(const std::string& room_id) override;

  expected<std::vector<whitelist_row>> list_whitelist(const std::string& room_id) override;
  expected<whitelist_row> add_whitelist(const whitelist_row& row) override;
  expected<whitelist_row> remove_whitelist(const std::string& room_id,
                                           const std::string& entry_id) override;

  expected<access_request_row> create_access_request(const access_request_row& row) override;
  expected<std::vector<access_request_row>> list_access_requests(
      const std::string& room_id, std::optional<request_state> state) override;
  expected<access_request_row> decide_access_request(const std::string& room_id,
                                                     const std::string& request_id, bool approve,
                                                     const std::string& decided_by,
                                                     std::int64_t decided_at) override;

  expected<bot_row> create_bot(const std::string& room_id, const std::string& login,
                               const std::string& name, const std::string& agent_id,
                               const std::string& prefix) override;
  expected<std::vector<bot_row>> list_bots(const std::string& room_id) override;

 private:
  connection& c_;
};

}  // namespace relay::storage::postgres
