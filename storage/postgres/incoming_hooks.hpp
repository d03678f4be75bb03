#pragma once

#include <string>
#include <vector>

#include "storage/incoming_hooks_store.hpp"
#include "storage/postgres/connection.hpp"

namespace relay::storage::postgres {

/// The incoming webhooks area on Postgres: the same rules and answers as
/// storage/sqlite/incoming_hooks.hpp. Every node reads a hook from here on each post, so
/// a revocation on one node holds on all of them at once.
class incoming_hooks : public virtual incoming_hooks_store {
 public:
  /// Declares the area's statements on `c`.
  explicit incoming_hooks(connection& c);

  expected<incoming_hook_row> create_incoming_hook(const incoming_hook_row& row,
                                                   const std::string& bot_login,
                                                   const std::string& secret_hash) override;
  expected<std::vector<incoming_hook_row>> list_incoming_hooks(const std::string& room_id) override;
  expected<incoming_hook_row> revoke_incoming_hook(const std::string& room_id,
                                                   const std::string& id) override;
  expected<incoming_hook_row> find_incoming_hook(const std::string& secret_hash) override;

 private:
  connection& c_;
};

}  // namespace relay::storage::postgres
