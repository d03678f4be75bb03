#include "storage/bot_rows.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"

namespace relay::storage {

expected<bot_row> new_bot_row(const std::string& room_id, const std::string& login,
                              const std::string& name, const std::string& agent_id,
                              const std::string& prefix) {
  if (!valid_login(login))
    return make_error(errc::bad_request, "bot login must be " + std::string{login_rule});
  bot_row b;
  b.room_id = room_id;
  b.user.id = make_id("usr");
  b.user.login = login;
  b.user.name = name;
  b.agent_id = agent_id;
  b.prefix = prefix;
  b.created_at = now_ms();
  b.user.created_at = b.created_at;
  return b;
}

}  // namespace relay::storage
