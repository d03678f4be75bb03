#pragma once

#include <string>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// The row a backend stores for a new room bot and its user (fresh ids, created now), or
/// `bad_request` for a login outside the login rule: one rule for every backend.
expected<bot_row> new_bot_row(const std::string& room_id, const std::string& login,
                              const std::string& name, const std::string& agent_id,
                              const std::string& prefix);

}  // namespace relay::storage
