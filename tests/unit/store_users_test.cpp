// The store suite (store_suite.hpp), users area: users and logins (without case), tokens and
// sessions, OAuth profiles, notifications.

#include "store_suite.hpp"

namespace relay::storage {
namespace {

/// Every test here uses the users area alone, so every backend that implements it runs them.
class UsersStoreTest : public AreaTest<users_store> {};

// -- users and tokens -----------------------------------------------------------

TEST_P(UsersStoreTest, UsersCreateFindAndConflict) {
  auto s = open();
  auto a = s->create_user("alice", "Alice A", "alice@example.com");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->id.rfind("usr_", 0), 0u);
  EXPECT_EQ(a->login, "alice");
  EXPECT_EQ(a->name, "Alice A");
  EXPECT_EQ(a->email, "alice@example.com");
  EXPECT_FALSE(a->github_id.has_value());
  EXPECT_GT(a->created_at, 0);

  auto dup = s->create_user("alice", "Other", "other@example.com");
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_TRUE(dup.conflict());

  auto by_login = s->find_user_by_login("alice");
  ASSERT_TRUE(by_login.has_value());
  EXPECT_EQ(by_login->id, a->id);
  EXPECT_EQ(by_login->name, "Alice A");
  auto by_id = s->find_user(a->id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->login, "alice");
  EXPECT_EQ(by_id->created_at, a->created_at);
  EXPECT_FALSE(s->find_user_by_login("bob").has_value());
  EXPECT_TRUE(s->find_user("usr_missing").not_found());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1);
}

TEST_P(UsersStoreTest, TokensLookupAndRevoke) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  const auto hash = sha256_hex("secret-1");
  auto t = s->create_token(alice, "laptop", hash);
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_FALSE(t->id.empty());
  EXPECT_EQ(t->id.rfind("tok_", 0), 0u);
  EXPECT_EQ(t->user_id, alice);
  EXPECT_EQ(t->name, "laptop");
  EXPECT_FALSE(t->revoked_at.has_value());
  auto t2 = s->create_token(alice, "phone", sha256_hex("secret-2"));
  ASSERT_TRUE(t2) << t2.error().message;
  ASSERT_FALSE(t2->id.empty());

  // Only the hash is stored.
  EXPECT_EQ(scalar("SELECT count(*) FROM tokens WHERE hash = '" + hash + "'"), 1);

  auto owner = s->find_user_by_token_hash(hash);
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->id, alice);
  EXPECT_FALSE(s->find_user_by_token_hash(sha256_hex("wrong")).has_value());
  auto cred = s->find_credential(hash);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->user.id, alice);
  EXPECT_EQ(cred->token_id, t->id) << "the credential names the token that was used";

  auto listed = s->list_tokens(alice).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, t->id);
  EXPECT_EQ(listed[1].id, t2->id);
  EXPECT_TRUE(s->list_tokens(bob).value().empty());

  EXPECT_FALSE(s->revoke_token(bob, t->id));  // not bob's
  EXPECT_TRUE(s->find_user_by_token_hash(hash).has_value());
  EXPECT_FALSE(s->revoke_token(alice, "tok_missing"));
  EXPECT_TRUE(s->revoke_token(alice, t->id));
  EXPECT_FALSE(s->revoke_token(alice, t->id));  // already revoked
  EXPECT_FALSE(s->find_user_by_token_hash(hash).has_value());
  EXPECT_TRUE(s->find_user_by_token_hash(sha256_hex("secret-2")).has_value());

  listed = s->list_tokens(alice).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_TRUE(listed[0].revoked_at.has_value());
  EXPECT_FALSE(listed[1].revoked_at.has_value());

  // Unknown user: foreign key.
  auto orphan = s->create_token("usr_missing", "x", sha256_hex("secret-3"));
  EXPECT_FALSE(orphan);
  EXPECT_TRUE(orphan.error());
}

TEST_P(UsersStoreTest, SessionTokensExpireAndAreNotListed) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto now = now_ms();

  auto api = s->create_token(alice, "laptop", sha256_hex("api"));
  ASSERT_TRUE(api) << api.error().message;
  ASSERT_FALSE(api->id.empty());
  EXPECT_EQ(api->kind, token_kind::api);
  EXPECT_FALSE(api->expires_at.has_value());

  auto live =
      s->create_token(alice, "browser", sha256_hex("live"), token_kind::session, now + 3'600'000);
  ASSERT_TRUE(live) << live.error().message;
  ASSERT_FALSE(live->id.empty());
  EXPECT_EQ(live->kind, token_kind::session);
  EXPECT_EQ(live->expires_at, std::optional<std::int64_t>{now + 3'600'000});
  auto expired =
      s->create_token(alice, "old browser", sha256_hex("expired"), token_kind::session, now - 1);
  ASSERT_TRUE(expired) << expired.error().message;
  ASSERT_FALSE(expired->id.empty());
  auto ended = s->create_token(alice, "older", sha256_hex("ended"), token_kind::session, 1000);
  ASSERT_TRUE(ended) << ended.error().message;
  ASSERT_FALSE(ended->id.empty());
  // Expiry applies to any kind of token.
  auto api_expired =
      s->create_token(alice, "ci", sha256_hex("api-expired"), token_kind::api, now - 10);
  ASSERT_TRUE(api_expired) << api_expired.error().message;
  ASSERT_FALSE(api_expired->id.empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM tokens WHERE kind = 'session'"), 3);

  auto cred = s->find_credential(sha256_hex("live"));
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->token_id, live->id);
  EXPECT_EQ(cred->user.id, alice);
  EXPECT_TRUE(s->find_user_by_token_hash(sha256_hex("live")).has_value());
  EXPECT_TRUE(s->find_credential(sha256_hex("api")).has_value());

  for (const char* secret : {"expired", "ended", "api-expired"}) {
    EXPECT_FALSE(s->find_credential(sha256_hex(secret)).has_value()) << secret;
    EXPECT_TRUE(s->find_user_by_token_hash(sha256_hex(secret)).not_found()) << secret;
  }

  // Sessions are not listed as API tokens.
  auto listed = s->list_tokens(alice).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, api->id);
  EXPECT_EQ(listed[1].id, api_expired->id);
  for (const auto& t : listed) EXPECT_EQ(t.kind, token_kind::api);
  EXPECT_EQ(listed[1].expires_at, std::optional<std::int64_t>{now - 10});

  // A session is revoked like a token.
  EXPECT_TRUE(s->revoke_token(alice, live->id));
  EXPECT_FALSE(s->find_credential(sha256_hex("live")).has_value());

  // The kind is a token_kind, so no call can ask for another: "cookie" does not parse.
  EXPECT_FALSE(parse_token_kind("cookie").has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM tokens"), 5);
}

TEST_P(UsersStoreTest, UpsertOAuthUserCreatesRefreshesAndAvoidsTakenLogins) {
  auto s = open();
  oauth_profile p;
  p.github_id = 4242;
  p.login = "octo";
  p.name = "Octo Cat";
  p.avatar_url = "https://avatars.example/1";
  p.email = "octo@example.com";
  auto made = s->upsert_oauth_user(p);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->id.rfind("usr_", 0), 0u);
  EXPECT_EQ(made->login, "octo");
  EXPECT_EQ(made->github_id, std::optional<std::int64_t>{4242});
  EXPECT_EQ(made->avatar_url, "https://avatars.example/1");
  EXPECT_GT(made->created_at, 0);

  // Same provider id: the profile is refreshed, the login kept.
  oauth_profile again = p;
  again.login = "octo-renamed";
  again.name = "Octo Renamed";
  again.avatar_url = "https://avatars.example/2";
  again.email = "new@example.com";
  auto refreshed = s->upsert_oauth_user(again);
  ASSERT_TRUE(refreshed) << refreshed.error().message;
  EXPECT_EQ(refreshed->id, made->id);
  EXPECT_EQ(refreshed->login, "octo");
  EXPECT_EQ(refreshed->name, "Octo Renamed");
  EXPECT_EQ(refreshed->avatar_url, "https://avatars.example/2");
  EXPECT_EQ(refreshed->email, "new@example.com");
  EXPECT_EQ(refreshed->created_at, made->created_at);
  auto stored = s->find_user(made->id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->name, "Octo Renamed");

  // A hidden email (none reported) keeps the known one.
  again.email.clear();
  auto hidden = s->upsert_oauth_user(again);
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->email, "new@example.com");
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1);

  // A new account whose login is taken (without case) by another user.
  user(*s, "alice");
  oauth_profile other;
  other.github_id = 99;
  other.login = "ALICE";
  auto suffixed = s->upsert_oauth_user(other);
  ASSERT_TRUE(suffixed) << suffixed.error().message;
  EXPECT_EQ(suffixed->login, "ALICE-99");
  EXPECT_EQ(suffixed->github_id, std::optional<std::int64_t>{99});
  EXPECT_EQ(s->find_user_by_login("alice")->github_id, std::nullopt);
  // ... and its second sign-in finds it by provider id, not by login.
  auto second = s->upsert_oauth_user(other);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, suffixed->id);
  EXPECT_EQ(second->login, "ALICE-99");
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 3);

  oauth_profile empty;
  auto missing = s->upsert_oauth_user(empty);
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::missing_field);
}

TEST_P(UsersStoreTest, FindUsersByLoginsIsCaseInsensitive) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "Bob");
  user(*s, "carol");

  auto found = s->find_users_by_logins({"ALICE", "bob", "nobody", "Alice", ""}).value();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, alice);
  EXPECT_EQ(found[1].id, bob);
  EXPECT_EQ(found[1].login, "Bob");
  EXPECT_EQ(found[0].name, "alice name");

  EXPECT_TRUE(s->find_users_by_logins({}).value().empty());
  EXPECT_TRUE(s->find_users_by_logins({"nobody"}).value().empty());

  // Long lists are split below SQLite's parameter limit.
  std::vector<std::string> many;
  for (int i = 0; i < 1500; ++i) many.push_back("ghost" + std::to_string(i));
  many.push_back("CAROL");
  many.insert(many.begin() + 700, "alice");
  auto lots = s->find_users_by_logins(many).value();
  EXPECT_EQ(logins_of(lots), (std::vector<std::string>{"alice", "carol"}));
}

// -- notifications --------------------------------------------------------------------

TEST_P(UsersStoreTest, NotificationsNewestFirstPerUser) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");

  notification_row n;
  n.user_id = alice;
  n.kind = "access_request";
  n.room_id = "room_x";
  n.ref_id = "arq_1";
  n.body = R"({"login":"bob"})";
  n.created_at = 1000;
  auto first = s->create_notification(n).value();
  ASSERT_FALSE(first.id.empty());
  EXPECT_EQ(first.id.rfind("ntf_", 0), 0u);
  EXPECT_EQ(first.state, "unread");
  n.created_at = 3000;
  n.ref_id = "arq_3";
  auto third = s->create_notification(n).value();
  n.created_at = 2000;
  n.ref_id = "arq_2";
  n.state = "read";
  auto second = s->create_notification(n).value();
  notification_row minimal;
  minimal.user_id = bob;
  minimal.kind = "welcome";
  auto bobs = s->create_notification(minimal);
  ASSERT_TRUE(bobs) << bobs.error().message;
  ASSERT_FALSE(bobs->id.empty());
  EXPECT_GT(bobs->created_at, 0);
  EXPECT_EQ(bobs->body, "{}");
  EXPECT_EQ(bobs->state, "unread");

  auto list = s->list_notifications(alice, 10).value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, third.id);
  EXPECT_EQ(list[1].id, second.id);
  EXPECT_EQ(list[2].id, first.id);
  EXPECT_EQ(list[1].state, "read");
  EXPECT_EQ(list[0].kind, "access_request");
  EXPECT_EQ(list[0].room_id, "room_x");
  EXPECT_EQ(list[0].ref_id, "arq_3");
  EXPECT_EQ(list[0].body, R"({"login":"bob"})");
  EXPECT_EQ(list[0].user_id, alice);

  auto top = s->list_notifications(alice, 2).value();
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, third.id);
  EXPECT_EQ(top[1].id, second.id);
  EXPECT_TRUE(s->list_notifications(alice, 0).value().empty());

  auto theirs = s->list_notifications(bob, 10).value();
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].kind, "welcome");
  EXPECT_EQ(theirs[0].room_id, "");

  notification_row orphan = minimal;
  orphan.user_id = "usr_missing";
  EXPECT_EQ(s->create_notification(orphan).error().code, errc::not_found);
  notification_row kindless;
  kindless.user_id = alice;
  EXPECT_EQ(s->create_notification(kindless).error().code, errc::missing_field);
}

// -- logins as identities without case (issue 19) ------------------------------------

class LoginStoreTest : public UsersStoreTest {
 protected:
  std::int64_t count(const std::string& sql) const { return scalar(sql); }
};

TEST_P(LoginStoreTest, ALoginThatDiffersOnlyByCaseIsTheSameUser) {
  auto s = open();
  auto bob = s->create_user("bob", "Bob", "");
  ASSERT_TRUE(bob) << bob.error().message;

  // `relay user add BOB` and dev sign-in both go through these two calls.
  auto found = s->find_user_by_login("BOB");
  ASSERT_TRUE(found.has_value()) << "BOB must find bob";
  EXPECT_EQ(found->id, bob->id);
  EXPECT_EQ(found->login, "bob") << "the stored spelling is kept";
  auto second = s->create_user("BOB", "Impostor", "");
  EXPECT_FALSE(second);
  EXPECT_EQ(second.error().code, errc::conflict);
  EXPECT_EQ(count("SELECT count(*) FROM users"), 1);

  // The database itself refuses a second spelling, whoever writes it.
  EXPECT_NE(exec_error("INSERT INTO users (id, login, created_at) VALUES ('usr_x', 'bOb', 1)"), "");
}

TEST_P(LoginStoreTest, InvalidLoginsAreRefusedAndStoreNothing) {
  auto s = open();
  for (const std::string& bad :
       {std::string("x' OR 1=1 --"), std::string(5000, 'a'), std::string("a b"), std::string("")}) {
    auto u = s->create_user(bad, "n", "");
    EXPECT_FALSE(u) << bad.substr(0, 20);

    oauth_profile p{777, bad, "Hostile", "", ""};
    auto o = s->upsert_oauth_user(p);
    EXPECT_FALSE(o) << bad.substr(0, 20);
    EXPECT_NE(o.error().code, errc::none);
    EXPECT_NE(o.error().message.find("login"), std::string::npos) << o.error().message;
  }
  EXPECT_EQ(count("SELECT count(*) FROM users"), 0);
}

TEST_P(LoginStoreTest, OAuthLoginTakenByAnotherAccountGetsAValidSuffixedLogin) {
  auto s = open();
  const std::string long_login(39, 'L');
  ASSERT_TRUE(s->create_user(long_login, "", ""));
  ASSERT_TRUE(s->create_user("octo", "", ""));

  auto a = s->upsert_oauth_user({1234567890, std::string(39, 'l'), "", "", ""});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(valid_login(a->login)) << a->login;
  EXPECT_EQ(a->login, std::string(28, 'l') + "-1234567890");

  auto b = s->upsert_oauth_user({42, "OCTO", "", "", ""});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->login, "OCTO-42");
}

// -- transactions over the users area ---------------------------------------------------

TEST_P(UsersStoreTest, ATransactionCommitsWholeOrRollsBackWhole) {
  auto s = open();
  ASSERT_TRUE(s.tx().begin());
  auto alice = s->create_user("alice", "Alice", "");
  ASSERT_TRUE(alice) << alice.error().message;
  // A taken login inside the batch changes nothing and aborts nothing.
  auto taken = s->create_user("ALICE", "Other", "");
  EXPECT_TRUE(taken.conflict()) << taken.error().message;
  auto bob = s->create_user("bob", "Bob", "");
  ASSERT_TRUE(bob) << bob.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 0) << "nothing is seen before the commit";
  auto done = s.tx().commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 2);

  ASSERT_TRUE(s.tx().begin());
  ASSERT_TRUE(s->create_user("carol", "Carol", ""));
  EXPECT_TRUE(s->find_user_by_login("carol").has_value()) << "the batch sees its own writes";
  s.tx().rollback();
  EXPECT_TRUE(s->find_user_by_login("carol").not_found());
  EXPECT_TRUE(s.tx().healthy());
}

TEST_P(UsersStoreTest, AFailureAbortsTheTransactionAndNothingOfItCommits) {
  auto s = open();
  const auto alice = user(*s, "alice");
  exec("DROP TABLE notifications");

  ASSERT_TRUE(s.tx().begin());
  ASSERT_TRUE(s->create_user("bob", "Bob", ""));
  notification_row n;
  n.user_id = alice;
  n.kind = "welcome";
  // A write whose result nobody looks at fails the batch all the same.
  auto failed = s->create_notification(n);
  EXPECT_TRUE(failed.failed()) << failed.error().message;
  auto after = s->create_user("carol", "Carol", "");
  EXPECT_TRUE(after.failed()) << "the calls after a failure fail too";
  auto done = s.tx().commit();
  EXPECT_FALSE(done);
  EXPECT_EQ(done.error().message, failed.error().message) << "commit names the first failure";
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1) << "the batch rolled back whole";

  // The next transaction starts clean; a second begin is a failure inside it.
  ASSERT_TRUE(s.tx().begin());
  ASSERT_TRUE(s->create_user("bob", "Bob", ""));
  EXPECT_TRUE(s.tx().commit());
  ASSERT_TRUE(s.tx().begin());
  EXPECT_FALSE(s.tx().begin());
  EXPECT_FALSE(s.tx().commit()) << "a failed call aborts the open transaction";
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 2);
}

TEST_P(UsersStoreTest, AMessageMentionsAUserOnceAndPagesFilterAndChange) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  const std::string room = "room_team";
  exec("INSERT INTO rooms (id, slug, owner_id, created_at) VALUES ('room_team', 'team', '" + alice +
       "', 1)");
  notification_row n;
  n.user_id = bob;
  n.room_id = room;
  n.body = R"({"excerpt":"hi"})";
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    n.ref_id = "msg_" + std::to_string(i);
    n.created_at = 1000 + i / 2;  // ties: the id orders them
    auto made = s->create_mention(n);
    ASSERT_TRUE(made) << made.error().message;
    ASSERT_TRUE(made->has_value());
    EXPECT_EQ((*made)->kind, "mention");
    ids.push_back((*made)->id);
  }
  // The same message again (an edit): nothing new, and not an error.
  n.ref_id = "msg_1";
  auto again = s->create_mention(n);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->has_value());
  n.user_id = "usr_nobody";
  n.ref_id = "msg_9";
  EXPECT_EQ(s->create_mention(n).error().code, errc::not_found);

  notification_query q;
  q.user_id = bob;
  q.limit = 100;
  auto all = s->page_notifications(q).value();
  ASSERT_EQ(all.size(), 5u);
  for (std::size_t i = 1; i < all.size(); ++i)
    EXPECT_TRUE(all[i - 1].created_at > all[i].created_at ||
                (all[i - 1].created_at == all[i].created_at && all[i - 1].id > all[i].id));
  // Pages of two, by cursor, give the same order with nothing repeated.
  std::vector<std::string> paged;
  q.limit = 2;
  for (;;) {
    auto page = s->page_notifications(q).value();
    for (auto& x : page) paged.push_back(x.id);
    if (page.size() < 2) break;
    q.before_at = page.back().created_at;
    q.before_id = page.back().id;
  }
  std::vector<std::string> whole;
  for (auto& x : all) whole.push_back(x.id);
  EXPECT_EQ(paged, whole);

  notification_change c;
  c.state = "archived";
  c.saved = true;
  auto changed = s->update_notification(bob, all[0].id, c).value();
  EXPECT_EQ(changed.state, "archived");
  EXPECT_TRUE(changed.saved);
  EXPECT_EQ(s->update_notification(alice, all[0].id, c).error().code, errc::not_found);
  EXPECT_EQ(s->update_notification(bob, "ntf_unknown", c).error().code, errc::not_found);
  notification_change vis;
  vis.visibility = "public";
  vis.state = "read";
  // Bob does not own the room: refused, and the state in the same change is not applied.
  EXPECT_EQ(s->update_notification(bob, all[1].id, vis).error().code, errc::forbidden);

  notification_query f;
  f.user_id = bob;
  f.states = {"unread", "read"};
  EXPECT_EQ(s->page_notifications(f).value().size(), 4u);
  f.states = {"archived"};
  EXPECT_EQ(s->page_notifications(f).value().front().id, all[0].id);
  f.states = {};
  f.saved_only = true;
  auto saved = s->page_notifications(f).value();
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].id, all[0].id);
  f.saved_only = false;
  f.states = {"read"};
  EXPECT_TRUE(s->page_notifications(f).value().empty());
}

TEST_P(UsersStoreTest, TheRoomOwnerSetsTheVisibilityOfANotificationAboutTheirRoom) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const std::string room = "room_mine";
  exec("INSERT INTO rooms (id, slug, owner_id, created_at) VALUES ('room_mine', 'mine', '" + alice +
       "', 1)");
  notification_row n;
  n.user_id = alice;
  n.kind = "access_request";
  n.room_id = room;
  auto made = s->create_notification(n).value();
  EXPECT_EQ(made.visibility, "private");
  notification_change vis;
  vis.visibility = "public";
  auto changed = s->update_notification(alice, made.id, vis).value();
  EXPECT_EQ(changed.visibility, "public");
  notification_query q;
  q.user_id = alice;
  EXPECT_EQ(s->page_notifications(q).value().front().visibility, "public");
  n.room_id = "";  // about no room: no owner to be
  auto loose = s->create_notification(n).value();
  EXPECT_EQ(s->update_notification(alice, loose.id, vis).error().code, errc::forbidden);
}

const auto users_backends =
    ::testing::Values(sqlite_area<users_store>(), postgres_area<users_store>());
INSTANTIATE_TEST_SUITE_P(Backends, UsersStoreTest, users_backends, backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, LoginStoreTest, users_backends, backend_name);

}  // namespace
}  // namespace relay::storage
