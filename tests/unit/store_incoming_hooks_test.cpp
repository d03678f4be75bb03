// The store suite (store_suite.hpp), incoming webhooks area: a hook and its bot user made
// together, found by its secret's hash only while live, listed without revoked ones,
// revoked once, and nothing left behind by a create that fails.

#include "store_suite.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace relay::storage {
namespace {

incoming_hook_row hook(const std::string& room, const std::string& creator, const std::string& name,
                       const std::string& channel = "") {
  incoming_hook_row h;
  h.created_at = now_ms();
  h.id = make_id("ihk", h.created_at);
  h.room_id = room;
  h.channel_id = channel;
  h.name = name;
  h.creator_id = creator;
  h.user_id = make_id("usr", h.created_at);
  return h;
}

TEST_P(StoreTest, IncomingHooksLiveUntilRevoked) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  auto a = hook(room, alice, "CI", "ch_a");
  a.github_secret = "gh";
  auto made = s->create_incoming_hook(a, "hook-aaaa", sha256_hex("secret-a"));
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->room_slug, "lobby");
  EXPECT_EQ(made->channel_id, "ch_a");
  EXPECT_EQ(made->github_secret, "gh");
  EXPECT_FALSE(made->revoked_at);
  // Its bot user exists, named after the hook.
  auto bot = s->find_user_by_login("hook-aaaa");
  ASSERT_TRUE(bot) << bot.error().message;
  EXPECT_EQ(bot->id, a.user_id);
  EXPECT_EQ(bot->name, "CI");

  auto b = hook(room, alice, "Alerts");
  ASSERT_TRUE(s->create_incoming_hook(b, "hook-bbbb", sha256_hex("secret-b")));
  // A taken login (any case) or secret hash changes nothing.
  auto c = hook(room, alice, "Dup");
  EXPECT_TRUE(s->create_incoming_hook(c, "HOOK-aaaa", sha256_hex("secret-c")).error().code ==
              errc::conflict);
  auto d = hook(room, alice, "Dup2");
  EXPECT_EQ(s->create_incoming_hook(d, "hook-dddd", sha256_hex("secret-a")).error().code,
            errc::conflict);
  EXPECT_TRUE(s->find_user_by_login("hook-dddd").not_found());
  EXPECT_EQ(
      s->create_incoming_hook(hook("room_missing", alice, "x"), "hook-eeee", sha256_hex("secret-e"))
          .error()
          .code,
      errc::not_found);

  auto found = s->find_incoming_hook(sha256_hex("secret-a"));
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->id, a.id);
  EXPECT_TRUE(s->find_incoming_hook(sha256_hex("nope")).not_found());
  auto list = s->list_incoming_hooks(room);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->front().name, "CI");
  EXPECT_EQ(list->back().name, "Alerts");

  EXPECT_TRUE(s->revoke_incoming_hook("room_other", a.id).not_found());
  auto revoked = s->revoke_incoming_hook(room, a.id);
  ASSERT_TRUE(revoked) << revoked.error().message;
  EXPECT_TRUE(revoked->revoked_at);
  EXPECT_TRUE(s->revoke_incoming_hook(room, a.id).not_found());
  EXPECT_TRUE(s->find_incoming_hook(sha256_hex("secret-a")).not_found());
  EXPECT_EQ(s->list_incoming_hooks(room).value().size(), 1u);
  // The secret itself is nowhere in the store.
  EXPECT_EQ(scalar("SELECT count(*) FROM incoming_webhooks WHERE secret_hash = 'secret-b'"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, all_backends(), backend_name);

}  // namespace
}  // namespace relay::storage
