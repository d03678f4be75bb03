// The store suite (store_suite.hpp), agents area: agents, apps and their allowlists, and room
// bots.

#include "store_suite.hpp"

namespace relay::storage {
namespace {

// -- agent relay ----------------------------------------------------------------------

TEST_P(StoreTest, AgentsCreateConflictAndInvalidId) {
  auto s = open();
  agent_row given;
  given.agent_id = "build-bot.v2_A";
  given.name = "Build bot";
  given.description = "Runs the builds";
  const auto before = now_ms();
  auto a = s->create_agent(given, sha256_hex("rla_one"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->agent_id, "build-bot.v2_A");
  EXPECT_EQ(a->name, "Build bot");
  EXPECT_EQ(a->description, "Runs the builds");
  EXPECT_GE(a->created_at, before);  // 0 means now
  EXPECT_FALSE(a->last_seen.has_value());
  EXPECT_EQ(a->events_served, 0);
  // Only the hash is stored.
  EXPECT_EQ(text_scalar("SELECT token_hash FROM agents WHERE agent_id = 'build-bot.v2_A'"),
            sha256_hex("rla_one"));

  agent_row dated;
  dated.agent_id = std::string(64, 'x');  // the longest allowed id
  dated.created_at = 1234;
  auto b = s->create_agent(dated, sha256_hex("rla_two"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->created_at, 1234);

  auto found = s->find_agent("build-bot.v2_A");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "Build bot");
  EXPECT_EQ(found->description, "Runs the builds");
  EXPECT_EQ(found->created_at, a->created_at);
  EXPECT_FALSE(s->find_agent("build-bot.v2_a").has_value());  // ids are case-sensitive
  EXPECT_TRUE(s->find_agent("nobody").not_found());

  // Taken id (with a fresh token) and taken token hash (with a fresh id).
  auto dup = s->create_agent(given, sha256_hex("rla_three"));
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_TRUE(dup.conflict());
  EXPECT_NE(dup.error().message.find("build-bot.v2_A"), std::string::npos) << dup.error().message;
  agent_row other;
  other.agent_id = "other";
  auto same_hash = s->create_agent(other, sha256_hex("rla_one"));
  EXPECT_FALSE(same_hash);
  EXPECT_EQ(same_hash.error().code, errc::conflict);
  EXPECT_NE(same_hash.error().message.find("token"), std::string::npos)
      << same_hash.error().message;

  for (const std::string& bad :
       {std::string{}, std::string(65, 'x'), std::string{"has space"}, std::string{"a/b"},
        std::string{"caf\xc3\xa9"}, std::string{"semi;colon"}, std::string{"nul\0x", 5},
        // Path segments no client sends as they are: `/v1/agents/../rotate-token`.
        std::string{"."}, std::string{".."}}) {
    agent_row r;
    r.agent_id = bad;
    auto made = s->create_agent(r, sha256_hex("rla_bad" + bad));
    EXPECT_FALSE(made) << bad;
    EXPECT_EQ(made.error().code, errc::bad_request) << bad;
  }
  agent_row no_hash;
  no_hash.agent_id = "no-hash";
  auto missing = s->create_agent(no_hash, "");
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::missing_field);

  EXPECT_EQ(scalar("SELECT count(*) FROM agents"), 2);
}

TEST_P(StoreTest, AgentTokenLookupAndRotation) {
  auto s = open();
  agent_row r;
  r.agent_id = "alpha";
  r.name = "Alpha";
  ASSERT_TRUE(s->create_agent(r, sha256_hex("rla_old")));
  r.agent_id = "beta";
  r.name = "Beta";
  ASSERT_TRUE(s->create_agent(r, sha256_hex("rla_beta")));

  auto by_token = s->find_agent_by_token_hash(sha256_hex("rla_old"));
  ASSERT_TRUE(by_token.has_value());
  EXPECT_EQ(by_token->agent_id, "alpha");
  EXPECT_EQ(by_token->name, "Alpha");
  EXPECT_FALSE(s->find_agent_by_token_hash(sha256_hex("rla_wrong")).has_value());
  EXPECT_TRUE(s->find_agent_by_token_hash("").not_found());

  // Rotation: the old hash stops matching at once, the new one works.
  auto rotation = s->rotate_agent_token("alpha", sha256_hex("rla_new"));
  EXPECT_TRUE(rotation) << rotation.error().message;
  EXPECT_FALSE(s->find_agent_by_token_hash(sha256_hex("rla_old")).has_value());
  auto rotated = s->find_agent_by_token_hash(sha256_hex("rla_new"));
  ASSERT_TRUE(rotated.has_value());
  EXPECT_EQ(rotated->agent_id, "alpha");
  // Also for another connection that was open all along.
  auto other = open();
  EXPECT_FALSE(other->find_agent_by_token_hash(sha256_hex("rla_old")).has_value());
  EXPECT_TRUE(other->find_agent_by_token_hash(sha256_hex("rla_new")).has_value());

  // Unknown agent: not found (not a failure).
  EXPECT_TRUE(s->rotate_agent_token("nobody", sha256_hex("rla_x")).not_found());
  EXPECT_FALSE(s->find_agent_by_token_hash(sha256_hex("rla_x")).has_value());

  // Another agent's hash is refused and changes nothing.
  EXPECT_EQ(s->rotate_agent_token("alpha", sha256_hex("rla_beta")).error().code, errc::conflict);
  EXPECT_EQ(s->find_agent_by_token_hash(sha256_hex("rla_new"))->agent_id, "alpha");
  EXPECT_EQ(s->find_agent_by_token_hash(sha256_hex("rla_beta"))->agent_id, "beta");

  EXPECT_EQ(s->rotate_agent_token("alpha", "").error().code, errc::missing_field);
  EXPECT_TRUE(s->find_agent_by_token_hash(sha256_hex("rla_new")).has_value());

  // Rotating inside the writer's transaction and rolling back keeps the old hash.
  s->begin();
  EXPECT_TRUE(s->rotate_agent_token("alpha", sha256_hex("rla_newer")));
  s->rollback();
  EXPECT_TRUE(s->find_agent_by_token_hash(sha256_hex("rla_new")).has_value());
  EXPECT_FALSE(s->find_agent_by_token_hash(sha256_hex("rla_newer")).has_value());
}

TEST_P(StoreTest, TouchAgentAccumulates) {
  auto s = open();
  agent_row r;
  r.agent_id = "worker";
  ASSERT_TRUE(s->create_agent(r, sha256_hex("rla_worker")));
  r.agent_id = "idle";
  ASSERT_TRUE(s->create_agent(r, sha256_hex("rla_idle")));

  ASSERT_TRUE(s->begin());
  auto touched = s->touch_agent("worker", 1000, 3);
  EXPECT_TRUE(touched) << touched.error().message;
  s->touch_agent("worker", 2000, 4);
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  auto w = s->find_agent("worker");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->last_seen, std::optional<std::int64_t>{2000});
  EXPECT_EQ(w->events_served, 7);

  // A connection without events only moves last_seen.
  s->begin();
  s->touch_agent("worker", 3000, 0);
  s->commit();
  w = s->find_agent("worker");
  EXPECT_EQ(w->last_seen, std::optional<std::int64_t>{3000});
  EXPECT_EQ(w->events_served, 7);

  // Rolled back touches do not count.
  s->begin();
  s->touch_agent("worker", 4000, 100);
  s->rollback();
  EXPECT_EQ(s->find_agent("worker")->events_served, 7);

  auto idle = s->find_agent("idle");
  ASSERT_TRUE(idle.has_value());
  EXPECT_FALSE(idle->last_seen.has_value());
  EXPECT_EQ(idle->events_served, 0);

  // Unknown agent: not_found, and the rest of the transaction still commits.
  ASSERT_TRUE(s->begin());
  s->touch_agent("idle", 5000, 1);
  EXPECT_EQ(s->touch_agent("nobody", 5000, 1).error().code, errc::not_found);
  ASSERT_TRUE(s->commit());
  EXPECT_EQ(s->find_agent("idle")->events_served, 1);
}

TEST_P(StoreTest, AppsWithAllowlist) {
  auto s = open();
  for (const char* id : {"gamma", "alpha", "beta"}) {
    agent_row r;
    r.agent_id = id;
    ASSERT_TRUE(s->create_agent(r, sha256_hex(std::string{"rla_"} + id)));
  }

  app_row given;
  given.app_id = "dashboard";
  given.name = "Dashboard";
  given.allowlist = {"gamma", "alpha", "gamma"};  // unsorted, with a duplicate
  const auto app_hash = sha256_hex("rlk_dashboard_secret");
  const auto before = now_ms();
  auto a = s->create_app(given, app_hash);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->app_id, "dashboard");
  EXPECT_EQ(a->name, "Dashboard");
  EXPECT_GE(a->created_at, before);
  EXPECT_EQ(a->allowlist, (std::vector<std::string>{"alpha", "gamma"}));
  EXPECT_EQ(text_scalar("SELECT token_hash FROM apps WHERE app_id = 'dashboard'"), app_hash);

  auto by_token = s->find_app_by_token_hash(app_hash);
  ASSERT_TRUE(by_token.has_value());
  EXPECT_EQ(by_token->app_id, "dashboard");
  EXPECT_EQ(by_token->name, "Dashboard");
  EXPECT_EQ(by_token->created_at, a->created_at);
  EXPECT_EQ(by_token->allowlist, (std::vector<std::string>{"alpha", "gamma"}));
  auto by_id = s->find_app("dashboard");
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->allowlist, (std::vector<std::string>{"alpha", "gamma"}));
  EXPECT_FALSE(s->find_app_by_token_hash(sha256_hex("rlk_dashboard_wrong")).has_value());
  EXPECT_TRUE(s->find_app("nope").not_found());
  // An app token is not an agent token.
  EXPECT_FALSE(s->find_agent_by_token_hash(app_hash).has_value());

  // No allowlist, explicit created_at.
  app_row bare;
  bare.app_id = "bare.app";
  bare.created_at = 42;
  auto b = s->create_app(bare, sha256_hex("rlk_bare.app_secret"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_TRUE(b->allowlist.empty());
  EXPECT_EQ(b->created_at, 42);
  auto bare_found = s->find_app("bare.app");
  ASSERT_TRUE(bare_found.has_value());
  EXPECT_TRUE(bare_found->allowlist.empty());
  EXPECT_EQ(bare_found->created_at, 42);

  // An unknown agent in the allowlist stores nothing.
  app_row orphan;
  orphan.app_id = "orphan";
  orphan.allowlist = {"alpha", "ghost"};
  auto o = s->create_app(orphan, sha256_hex("rlk_orphan_secret"));
  EXPECT_FALSE(o);
  EXPECT_EQ(o.error().code, errc::not_found);
  EXPECT_NE(o.error().message.find("ghost"), std::string::npos) << o.error().message;
  EXPECT_FALSE(s->find_app("orphan").has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM app_allowlist WHERE app_id = 'orphan'"), 0);
  // ... and frees the id and the hash for a retry.
  orphan.allowlist = {"alpha"};
  EXPECT_TRUE(s->create_app(orphan, sha256_hex("rlk_orphan_secret")));

  // Conflicts and bad input.
  app_row dup = given;
  dup.allowlist.clear();
  auto d = s->create_app(dup, sha256_hex("rlk_dashboard_other"));
  EXPECT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::conflict);
  app_row same_hash;
  same_hash.app_id = "copycat";
  auto h = s->create_app(same_hash, app_hash);
  EXPECT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::conflict);
  EXPECT_FALSE(s->find_app("copycat").has_value());
  for (const std::string& bad : {std::string{}, std::string(65, 'a'), std::string{"a b"},
                                 std::string{"rlk_x/y"}, std::string{"."}, std::string{".."}}) {
    app_row r;
    r.app_id = bad;
    auto made = s->create_app(r, sha256_hex("rlk_" + bad + "_s"));
    EXPECT_FALSE(made) << bad;
    EXPECT_EQ(made.error().code, errc::bad_request) << bad;
  }
  app_row no_hash;
  no_hash.app_id = "no-hash";
  EXPECT_EQ(s->create_app(no_hash, "").error().code, errc::missing_field);
  EXPECT_EQ(scalar("SELECT count(*) FROM apps"), 3);
}

TEST_P(StoreTest, SetAllowlistReplacesAtomically) {
  auto s = open();
  for (const char* id : {"alpha", "beta", "gamma"}) {
    agent_row r;
    r.agent_id = id;
    ASSERT_TRUE(s->create_agent(r, sha256_hex(std::string{"rla_"} + id)));
  }
  app_row app;
  app.app_id = "console";
  app.allowlist = {"alpha"};
  ASSERT_TRUE(s->create_app(app, sha256_hex("rlk_console_s")));

  auto replaced = s->set_allowlist("console", {"gamma", "beta", "beta"});
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_EQ(replaced->app_id, "console");
  EXPECT_EQ(replaced->allowlist, (std::vector<std::string>{"beta", "gamma"}));
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"beta", "gamma"}));

  // An unknown agent: not_found, and the old list stays.
  auto bad = s->set_allowlist("console", {"alpha", "ghost"});
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::not_found);
  EXPECT_TRUE(bad.not_found());
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"beta", "gamma"}));

  // An unknown app: not_found, nothing written.
  auto missing = s->set_allowlist("ghost-app", {"alpha"});
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
  auto missing_empty = s->set_allowlist("ghost-app", {});
  EXPECT_EQ(missing_empty.error().code, errc::not_found);
  EXPECT_EQ(scalar("SELECT count(*) FROM app_allowlist WHERE app_id = 'ghost-app'"), 0);

  // Inside the writer's transaction a failed replace leaves the rest of it alone.
  s->begin();
  agent_row delta;
  delta.agent_id = "delta";
  ASSERT_TRUE(s->create_agent(delta, sha256_hex("rla_delta")));
  EXPECT_FALSE(s->set_allowlist("console", {"delta", "ghost"}));
  auto ok = s->set_allowlist("console", {"delta", "alpha"});
  EXPECT_TRUE(ok) << ok.error().message;
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"alpha", "delta"}));

  // ... and a rolled back replace restores the old list.
  s->begin();
  EXPECT_TRUE(s->set_allowlist("console", {"gamma"}));
  s->rollback();
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"alpha", "delta"}));

  // An empty list clears it.
  auto cleared = s->set_allowlist("console", {});
  ASSERT_TRUE(cleared) << cleared.error().message;
  EXPECT_TRUE(cleared->allowlist.empty());
  EXPECT_TRUE(s->find_app("console")->allowlist.empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM app_allowlist"), 0);

  // Deleting an agent drops it from allowlists (ON DELETE CASCADE).
  ASSERT_TRUE(s->set_allowlist("console", {"alpha", "beta"}));
  exec_cascading("DELETE FROM agents WHERE agent_id = 'alpha'");
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"beta"}));
}

TEST_P(StoreTest, AgentsAndAppsListInIdOrder) {
  auto s = open();
  EXPECT_TRUE(s->list_agents().value().empty());
  EXPECT_TRUE(s->list_apps().value().empty());

  // Created out of order, with created_at against the id order.
  std::int64_t t = 5000;
  for (const char* id : {"m", "B", "a", "z.1", "z-0", "0"}) {
    agent_row r;
    r.agent_id = id;
    r.created_at = t--;
    ASSERT_TRUE(s->create_agent(r, sha256_hex(std::string{"rla_"} + id)));
  }
  std::vector<std::string> ids;
  for (const auto& a : s->list_agents().value()) ids.push_back(a.agent_id);
  // Byte order, like std::sort on the ids.
  std::vector<std::string> expected{"m", "B", "a", "z.1", "z-0", "0"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);

  for (const auto& [id, allow] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"zeta", {"m", "a"}}, {"alpha", {}}, {"mid", {"z.1", "0", "B"}}}) {
    app_row r;
    r.app_id = id;
    r.name = id + " app";
    r.allowlist = allow;
    ASSERT_TRUE(s->create_app(r, sha256_hex("rlk_" + id + "_s")));
  }
  auto apps = s->list_apps().value();
  ASSERT_EQ(apps.size(), 3u);
  EXPECT_EQ(apps[0].app_id, "alpha");
  EXPECT_EQ(apps[0].name, "alpha app");
  EXPECT_TRUE(apps[0].allowlist.empty());
  EXPECT_EQ(apps[1].app_id, "mid");
  EXPECT_EQ(apps[1].allowlist, (std::vector<std::string>{"0", "B", "z.1"}));
  EXPECT_EQ(apps[2].app_id, "zeta");
  EXPECT_EQ(apps[2].allowlist, (std::vector<std::string>{"a", "m"}));
}

// -- room bots --------------------------------------------------------------------------

TEST_P(StoreTest, BotsCreateAndListByLogin) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto room = new_room(*s, "den", alice);
  const auto other = new_room(*s, "attic", alice);
  agent_row helper;
  helper.agent_id = "helper.v1";
  ASSERT_TRUE(s->create_agent(helper, sha256_hex("rla_helper")));
  EXPECT_TRUE(s->list_bots(room).value().empty());

  const auto before = now_ms();
  auto yee = s->create_bot(room, "yeeyee", "Yee Yee", "helper.v1", "yeeyee:");
  ASSERT_TRUE(yee) << yee.error().message;
  EXPECT_EQ(yee->room_id, room);
  EXPECT_EQ(yee->user.id.rfind("usr_", 0), 0u) << yee->user.id;
  EXPECT_EQ(yee->user.login, "yeeyee");
  EXPECT_EQ(yee->user.name, "Yee Yee");
  EXPECT_EQ(yee->user.email, "");
  EXPECT_EQ(yee->user.avatar_url, "");
  EXPECT_FALSE(yee->user.github_id.has_value());
  EXPECT_GE(yee->user.created_at, before);
  EXPECT_EQ(yee->agent_id, "helper.v1");
  EXPECT_EQ(yee->prefix, "yeeyee:");
  EXPECT_GE(yee->created_at, before);

  // The bot is a user like any other.
  auto as_user = s->find_user_by_login("yeeyee");
  ASSERT_TRUE(as_user.has_value());
  EXPECT_EQ(as_user->id, yee->user.id);
  EXPECT_EQ(as_user->name, "Yee Yee");
  EXPECT_EQ(as_user->email, "");

  // More bots, created against login order; one in another room.
  ASSERT_TRUE(s->create_bot(room, "Zed_bot", "Zed", "", ""));
  ASSERT_TRUE(s->create_bot(room, "alpha-1", "Alpha", "helper.v1", ""));
  ASSERT_TRUE(s->create_bot(room, "Beta", "", "", "b>"));
  ASSERT_TRUE(s->create_bot(other, "attic-bot", "Attic", "", ""));

  auto bots = s->list_bots(room).value();
  ASSERT_EQ(bots.size(), 4u);
  std::vector<std::string> logins;
  for (const auto& b : bots) logins.push_back(b.user.login);
  // By login without case, like room member lists.
  EXPECT_EQ(logins, (std::vector<std::string>{"alpha-1", "Beta", "yeeyee", "Zed_bot"}));
  EXPECT_EQ(bots[1].prefix, "b>");
  EXPECT_EQ(bots[1].agent_id, "");
  const auto& listed = bots[2];
  EXPECT_EQ(listed.room_id, room);
  EXPECT_EQ(listed.user.id, yee->user.id);
  EXPECT_EQ(listed.user.name, "Yee Yee");
  EXPECT_EQ(listed.user.created_at, yee->user.created_at);
  EXPECT_FALSE(listed.user.github_id.has_value());
  EXPECT_EQ(listed.agent_id, "helper.v1");
  EXPECT_EQ(listed.prefix, "yeeyee:");
  EXPECT_EQ(listed.created_at, yee->created_at);

  auto attic = s->list_bots(other).value();
  ASSERT_EQ(attic.size(), 1u);
  EXPECT_EQ(attic[0].user.login, "attic-bot");
  EXPECT_TRUE(s->list_bots("room_missing").value().empty());

  // Deleting a room or a bot's user drops its rows (ON DELETE CASCADE).
  exec_cascading("DELETE FROM rooms WHERE id = '" + other + "'");
  EXPECT_TRUE(s->list_bots(other).value().empty());
  exec_cascading("DELETE FROM users WHERE login = 'Beta'");
  EXPECT_EQ(s->list_bots(room).value().size(), 3u);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 3);
}

TEST_P(StoreTest, BotLoginConflictsWithAnyoneWithoutCase) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto room = new_room(*s, "den", alice);
  const auto users_before = scalar("SELECT count(*) FROM users");

  // A human's login, exact or in another case: nothing is created.
  for (const char* taken : {"alice", "ALICE", "Alice"}) {
    auto b = s->create_bot(room, taken, "Imposter", "", "");
    EXPECT_FALSE(b) << taken;
    EXPECT_EQ(b.error().code, errc::conflict) << taken;
    EXPECT_TRUE(b.conflict()) << taken;
    EXPECT_NE(b.error().message.find(taken), std::string::npos) << b.error().message;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before);
  EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE name = 'Imposter'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 0);
  EXPECT_TRUE(s->list_bots(room).value().empty());

  // Another bot's login, even in another room.
  const auto other = new_room(*s, "attic", alice);
  ASSERT_TRUE(s->create_bot(room, "helper", "Helper", "", ""));
  auto dup = s->create_bot(other, "HELPER", "Helper 2", "", "");
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_TRUE(s->list_bots(other).value().empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before + 1);

  // The bot's login is a user's login: nobody else can take it afterwards.
  auto u = s->create_user("helper", "", "");
  EXPECT_FALSE(u);
  EXPECT_EQ(u.error().code, errc::conflict);
}

TEST_P(StoreTest, BotUnknownRoomOrAgentCreatesNothing) {
  auto s = open();
  const auto room = room_of(*s);
  const auto users_before = scalar("SELECT count(*) FROM users");

  auto no_room = s->create_bot("room_missing", "lost", "Lost", "", "");
  EXPECT_FALSE(no_room);
  EXPECT_EQ(no_room.error().code, errc::not_found);
  EXPECT_TRUE(no_room.not_found());
  EXPECT_NE(no_room.error().message.find("room"), std::string::npos) << no_room.error().message;
  auto empty_room = s->create_bot("", "lost", "Lost", "", "");
  EXPECT_EQ(empty_room.error().code, errc::not_found);

  auto no_agent = s->create_bot(room, "lost", "Lost", "ghost", "");
  EXPECT_FALSE(no_agent);
  EXPECT_EQ(no_agent.error().code, errc::not_found);
  EXPECT_NE(no_agent.error().message.find("ghost"), std::string::npos) << no_agent.error().message;

  // No user row, no bot row: the login is still free.
  EXPECT_FALSE(s->find_user_by_login("lost").has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 0);

  // Agent ids are case-sensitive, like find_agent.
  agent_row ghost;
  ghost.agent_id = "ghost";
  ASSERT_TRUE(s->create_agent(ghost, sha256_hex("rla_ghost")));
  EXPECT_EQ(s->create_bot(room, "lost", "Lost", "Ghost", "").error().code, errc::not_found);
  auto found = s->create_bot(room, "lost", "Lost", "ghost", "");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->agent_id, "ghost");
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before + 1);
}

TEST_P(StoreTest, PlainBotHasEmptyAgentId) {
  auto s = open();
  const auto room = room_of(*s);
  auto b = s->create_bot(room, "echo", "", "", "");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->agent_id, "");
  EXPECT_EQ(b->prefix, "");
  EXPECT_EQ(b->user.name, "");
  EXPECT_EQ(text_scalar("SELECT agent_id FROM room_bots WHERE user_id = '" + b->user.id + "'"), "");
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots WHERE agent_id = '' AND prefix = ''"), 1);
  auto bots = s->list_bots(room).value();
  ASSERT_EQ(bots.size(), 1u);
  EXPECT_EQ(bots[0].user.login, "echo");
  EXPECT_EQ(bots[0].agent_id, "");
  EXPECT_EQ(bots[0].prefix, "");
}

TEST_P(StoreTest, BotLoginMustBeShortAndPlain) {
  auto s = open();
  const auto room = room_of(*s);
  const auto users_before = scalar("SELECT count(*) FROM users");
  for (const std::string& bad : {std::string{}, std::string(40, 'x'), std::string{"has space"},
                                 std::string{"dot.ted"}, std::string{"@bot"}, std::string{"a/b"},
                                 std::string{"caf\xc3\xa9"}, std::string{"nul\0x", 5}}) {
    auto b = s->create_bot(room, bad, "Bad", "", "");
    EXPECT_FALSE(b) << bad;
    EXPECT_EQ(b.error().code, errc::bad_request) << bad;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 0);

  // The bounds and every allowed character.
  EXPECT_TRUE(s->create_bot(room, std::string(39, 'x'), "", "", ""));
  EXPECT_TRUE(s->create_bot(room, "b", "", "", ""));
  EXPECT_TRUE(s->create_bot(room, "AZaz09-_", "", "", ""));
  EXPECT_EQ(s->list_bots(room).value().size(), 3u);
}

TEST_P(StoreTest, FailedBotLeavesTheWritersTransactionAlone) {
  auto s = open();
  const auto room = room_of(*s);
  s->begin();
  ASSERT_TRUE(s->create_bot(room, "first", "", "", ""));
  EXPECT_FALSE(s->create_bot(room, "second", "", "ghost", ""));
  EXPECT_FALSE(s->create_bot(room, "FIRST", "", "", ""));
  ASSERT_TRUE(s->create_bot(room, "second", "", "", ""));
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(s->list_bots(room).value().size(), 2u);

  // ... and a rolled back transaction takes its bots (and their users) with it.
  s->begin();
  ASSERT_TRUE(s->create_bot(room, "third", "", "", ""));
  s->rollback();
  EXPECT_EQ(s->list_bots(room).value().size(), 2u);
  EXPECT_FALSE(s->find_user_by_login("third").has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, all_backends(), backend_name);

}  // namespace
}  // namespace relay::storage
