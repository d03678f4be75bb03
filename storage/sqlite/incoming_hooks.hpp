#pragma once

#include <string>
#include <vector>

#include "storage/incoming_hooks_store.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// The incoming webhooks area on SQLite.
class incoming_hooks : public virtual incoming_hooks_store {
 public:
  explicit incoming_hooks(database& db) : db_{db} {}

  expected<incoming_hook_row> create_incoming_hook(const incoming_hook_row& row,
                                                   const std::string& bot_login,
                                                   const std::string& secret_hash) override;
  expected<std::vector<incoming_hook_row>> list_incoming_hooks(const std::string& room_id) override;
  expected<incoming_hook_row> revoke_incoming_hook(const std::string& room_id,
                                                   const std::string& id) override;
  expected<incoming_hook_row> find_incoming_hook(const std::string& secret_hash) override;

 private:
  expected<incoming_hook_row> find_by_id(const std::string& id);

  database& db_;
};

}  // namespace relay::storage::sqlite
