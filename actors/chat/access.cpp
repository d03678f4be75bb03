#include "actors/chat/access.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace relay::access {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool is_owner(const storage::room_row& room, const storage::user_row& user) {
  return room.owner_id && !user.id.empty() && *room.owner_id == user.id;
}

bool on_whitelist(const std::vector<storage::whitelist_row>& list, const storage::user_row& user) {
  return std::any_of(list.begin(), list.end(), [&](const storage::whitelist_row& w) {
    return (!w.login.empty() && iequals(w.login, user.login)) ||
           (!w.email.empty() && !user.email.empty() && iequals(w.email, user.email));
  });
}

bool may_enter(const storage::room_row& room, const std::vector<storage::whitelist_row>& list,
               const storage::user_row& user) {
  if (!room.whitelist_only) return true;
  return is_owner(room, user) || on_whitelist(list, user);
}

bool may_see(const storage::channel_row& channel, const member_set& members,
             const storage::user_row& user) {
  if (channel.id.empty() || channel.visibility == storage::channel_visibility::public_) return true;
  return members.count(user.id) > 0;
}

bool may_create_channel(const storage::room_row& room, const storage::user_row& user) {
  return is_owner(room, user);
}

bool may_delete_channel(const storage::room_row& room, const storage::channel_row& channel,
                        const storage::user_row& user) {
  return is_owner(room, user) || (!user.id.empty() && channel.created_by == user.id);
}

bool valid_visibility(storage::channel_visibility v) {
  return v != storage::channel_visibility::dm;
}

bool reserved_room_slug(const std::string& slug) {
  static constexpr std::array<std::string_view, 17> reserved = {
      "lobby", "api",    "auth", "admin", "new",     "settings", "static", "assets", "ws",
      "login", "logout", "me",   "dms",   "metrics", "health",   "v1",     "hooks"};
  return std::find(reserved.begin(), reserved.end(), slug) != reserved.end();
}

bool valid_slug(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace relay::access
