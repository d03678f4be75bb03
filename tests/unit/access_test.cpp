// The access rules every path goes through (actors/chat/access.hpp).
#include <gtest/gtest.h>

#include "actors/chat/access.hpp"

using namespace relay;

namespace {

storage::user_row user(std::string id, std::string login, std::string email = "") {
  storage::user_row u;
  u.id = std::move(id);
  u.login = std::move(login);
  u.email = std::move(email);
  return u;
}

storage::room_row room(bool gated, std::optional<std::string> owner = "usr_owner") {
  storage::room_row r;
  r.id = "room_1";
  r.slug = "team";
  r.owner_id = std::move(owner);
  r.whitelist_only = gated;
  return r;
}

storage::whitelist_row entry(std::string login, std::string email = "") {
  storage::whitelist_row w;
  w.login = std::move(login);
  w.email = std::move(email);
  return w;
}

}  // namespace

TEST(access, open_rooms_admit_everyone_gated_ones_owner_and_whitelist) {
  auto stranger = user("usr_s", "stranger");
  auto owner = user("usr_owner", "boss");
  EXPECT_TRUE(access::may_enter(room(false), {}, stranger));
  EXPECT_FALSE(access::may_enter(room(true), {}, stranger));
  EXPECT_TRUE(access::may_enter(room(true), {}, owner));
  EXPECT_TRUE(access::may_enter(room(true), {entry("STRANGER")}, stranger)) << "login, any case";
  EXPECT_FALSE(access::may_enter(room(true), {entry("strangers")}, stranger));
}

TEST(access, whitelist_emails_match_case_insensitively_and_never_match_empty) {
  auto with_mail = user("usr_m", "m", "Mia@Example.com");
  auto without = user("usr_n", "n");
  EXPECT_TRUE(access::on_whitelist({entry("", "mia@example.COM")}, with_mail));
  EXPECT_FALSE(access::on_whitelist({entry("", "other@example.com")}, with_mail));
  EXPECT_FALSE(access::on_whitelist({entry("", "")}, without)) << "an empty entry admits nobody";
}

TEST(access, public_channels_and_the_room_thread_are_seen_by_all_others_by_members) {
  auto u = user("usr_u", "u");
  storage::channel_row thread;  // id "" = the room-wide thread
  storage::channel_row pub;
  pub.id = "ch_p";
  pub.visibility = storage::channel_visibility::public_;
  EXPECT_TRUE(access::may_see(thread, {}, u));
  EXPECT_TRUE(access::may_see(pub, {}, u));
  using storage::channel_visibility;
  for (auto v : {channel_visibility::private_, channel_visibility::group,
                 channel_visibility::personal, channel_visibility::dm}) {
    storage::channel_row c;
    c.id = "ch_x";
    c.visibility = v;
    EXPECT_FALSE(access::may_see(c, {"usr_other"}, u)) << to_string(v);
    EXPECT_TRUE(access::may_see(c, {"usr_u"}, u)) << to_string(v);
  }
}

TEST(access, only_owners_create_channels_and_nobody_in_the_lobby) {
  auto owner = user("usr_owner", "boss");
  EXPECT_TRUE(access::may_create_channel(room(false), owner));
  EXPECT_FALSE(access::may_create_channel(room(false), user("usr_x", "x")));
  EXPECT_FALSE(access::may_create_channel(room(false, std::nullopt), owner)) << "the lobby";
  EXPECT_FALSE(access::is_owner(room(false), user("", "anonymous")));
}

TEST(access, channels_are_deleted_by_the_owner_or_their_creator) {
  storage::channel_row c;
  c.id = "ch_1";
  c.created_by = "usr_c";
  EXPECT_TRUE(access::may_delete_channel(room(false), c, user("usr_owner", "o")));
  EXPECT_TRUE(access::may_delete_channel(room(false), c, user("usr_c", "c")));
  EXPECT_FALSE(access::may_delete_channel(room(false), c, user("usr_z", "z")));
}

TEST(access, slugs_and_visibilities) {
  EXPECT_TRUE(access::valid_slug("dev-team_2"));
  EXPECT_FALSE(access::valid_slug(""));
  EXPECT_FALSE(access::valid_slug("Dev"));
  EXPECT_FALSE(access::valid_slug("a b"));
  EXPECT_FALSE(access::valid_slug(std::string(65, 'a')));
  EXPECT_TRUE(access::reserved_room_slug("lobby"));
  EXPECT_TRUE(access::reserved_room_slug("auth"));
  EXPECT_FALSE(access::reserved_room_slug("lobbyist"));
  EXPECT_TRUE(access::valid_visibility(storage::channel_visibility::group));
  EXPECT_FALSE(access::valid_visibility(storage::channel_visibility::dm))
      << "DMs are opened with /dms, not created";
}
