// The store suite (store_suite.hpp), rooms area: rooms, channels and their members,
// whitelists and access requests.

#include "store_suite.hpp"

namespace relay::storage {
namespace {

// -- channels -----------------------------------------------------------------------

TEST_P(StoreTest, ChannelsCreateListConflict) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");

  channel_row given;
  given.id = "ch_given";
  given.room_id = room;
  given.slug = "general";
  given.name = "General";
  given.visibility = channel_visibility::public_;
  given.created_by = alice;
  given.created_at = 1000;
  auto a = s->create_channel(given);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->id, "ch_given");
  EXPECT_EQ(a->created_at, 1000);

  channel_row gen = given;
  gen.id.clear();
  gen.slug = "random";
  gen.created_at = 2000;
  auto b = s->create_channel(gen);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->id.rfind("ch_", 0), 0u);

  channel_row dup = given;
  dup.id.clear();
  auto c = s->create_channel(dup);
  EXPECT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::conflict);

  channel_row orphan = given;
  orphan.id.clear();
  orphan.room_id = "room_missing";
  auto d = s->create_channel(orphan);
  EXPECT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::not_found);

  auto list = s->list_channels(room).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].slug, "general");
  EXPECT_EQ(list[0].name, "General");
  EXPECT_EQ(list[0].visibility, channel_visibility::public_);
  EXPECT_EQ(list[0].created_by, alice);
  EXPECT_EQ(list[1].slug, "random");
  EXPECT_TRUE(s->list_channels("room_missing").value().empty());
  // A visibility written behind the store's back fails the read instead of passing
  // for one it knows.
  exec("UPDATE channels SET visibility = 'secret' WHERE id = 'ch_given'");
  auto unreadable = s->list_channels(room);
  EXPECT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, errc::internal);
}

// -- rooms -------------------------------------------------------------------------

TEST_P(StoreTest, RoomsCreateAndUpdate) {
  auto s = open();
  const auto alice = user(*s, "alice");

  room_row r;
  r.slug = "team";
  r.display_name = "The Team";
  r.description = "work";
  r.owner_id = alice;
  r.whitelist_only = true;
  auto made = s->create_room(r);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->id.rfind("room_", 0), 0u);
  EXPECT_GT(made->created_at, 0);
  EXPECT_EQ(made->accent_colors, "[]");
  auto found = s->find_room_by_slug("team");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, made->id);
  EXPECT_EQ(found->display_name, "The Team");
  EXPECT_EQ(found->description, "work");
  EXPECT_EQ(found->owner_id, std::optional<std::string>{alice});
  EXPECT_TRUE(found->whitelist_only);
  EXPECT_EQ(found->accent_colors, "[]");

  auto dup = s->create_room(r);
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_NE(dup.error().message.find("team"), std::string::npos) << dup.error().message;
  room_row lobby_again;
  lobby_again.slug = "lobby";
  EXPECT_EQ(s->create_room(lobby_again).error().code, errc::conflict);
  room_row orphan;
  orphan.slug = "orphan";
  orphan.owner_id = "usr_missing";
  EXPECT_EQ(s->create_room(orphan).error().code, errc::not_found);
  room_row no_slug;
  EXPECT_EQ(s->create_room(no_slug).error().code, errc::missing_field);
  EXPECT_EQ(scalar("SELECT count(*) FROM rooms"), 2);

  room_patch patch;
  patch.display_name = "Renamed";
  patch.accent_colors = "[\"#112233\"]";
  patch.whitelist_only = false;
  auto updated = s->update_room(made->id, patch);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->display_name, "Renamed");
  EXPECT_EQ(updated->accent_colors, "[\"#112233\"]");
  EXPECT_FALSE(updated->whitelist_only);
  EXPECT_EQ(updated->slug, "team");         // unset: unchanged
  EXPECT_EQ(updated->description, "work");  // unset: unchanged
  EXPECT_EQ(updated->owner_id, std::optional<std::string>{alice});

  room_patch taken;
  taken.slug = "lobby";
  taken.description = "should not stick";
  auto clash = s->update_room(made->id, taken);
  EXPECT_FALSE(clash);
  EXPECT_EQ(clash.error().code, errc::conflict);
  EXPECT_EQ(s->find_room_by_slug("team")->description, "work");

  room_patch move;
  move.slug = "crew";
  move.avatar_url = "https://img.example/crew.png";
  auto moved = s->update_room(made->id, move);
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->slug, "crew");
  EXPECT_FALSE(s->find_room_by_slug("team").has_value());
  EXPECT_EQ(s->find_room_by_slug("crew")->avatar_url, "https://img.example/crew.png");

  auto unchanged = s->update_room(made->id, room_patch{});
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->slug, "crew");

  EXPECT_EQ(s->update_room("room_missing", patch).error().code, errc::not_found);
  EXPECT_EQ(s->update_room("room_missing", room_patch{}).error().code, errc::not_found);
  room_patch empty_slug;
  empty_slug.slug = "";
  EXPECT_EQ(s->update_room(made->id, empty_slug).error().code, errc::missing_field);
}

// -- channels with members ----------------------------------------------------------

TEST_P(StoreTest, CreateChannelWithMembersIsAtomic) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");

  auto made = s->create_channel(channel(room, "crew", alice), {alice, bob, alice, bob});
  ASSERT_TRUE(made) << made.error().message;
  auto members = s->list_channel_members(room).value();
  ASSERT_EQ(members.size(), 2u);
  for (const auto& m : members) EXPECT_EQ(m.channel_id, made->id);
  std::set<std::string> ids{members[0].user_id, members[1].user_id};
  EXPECT_EQ(ids, (std::set<std::string>{alice, bob}));

  // An unknown member undoes the channel too.
  auto bad = s->create_channel(channel(room, "ghosts", alice), {alice, "usr_missing"});
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::not_found);
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'ghosts'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members"), 2);

  // A taken slug keeps the original's members.
  auto dup = s->create_channel(channel(room, "crew", bob), {bob});
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_EQ(s->list_channel_members(room).value().size(), 2u);

  // Inside the writer's transaction: a failed call leaves the others' work in place.
  ASSERT_TRUE(s->begin());
  auto kept = s->create_channel(channel(room, "kept", alice), {bob});
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_FALSE(s->create_channel(channel(room, "failed", alice), {"usr_missing"}));
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'kept'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'failed'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members WHERE channel_id = '" + kept->id + "'"),
            1);

  // ... and rolling the transaction back discards the channel and its members.
  s->begin();
  ASSERT_TRUE(s->create_channel(channel(room, "gone", alice), {alice}));
  s->rollback();
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'gone'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members"), 3);

  // Memberships are per room.
  const auto other = new_room(*s, "other", alice);
  ASSERT_TRUE(s->create_channel(channel(other, "side", alice), {alice}));
  EXPECT_EQ(s->list_channel_members(room).value().size(), 3u);
  auto side = s->list_channel_members(other).value();
  ASSERT_EQ(side.size(), 1u);
  EXPECT_EQ(side[0].user_id, alice);
  EXPECT_TRUE(s->list_channel_members("room_missing").value().empty());
}

TEST_P(StoreTest, DeleteChannelWipesMembersMessagesAndSeq) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  auto doomed = s->create_channel(channel(room, "doomed", alice), {alice, bob});
  auto kept = s->create_channel(channel(room, "kept", alice), {alice});
  ASSERT_TRUE(doomed && kept);
  const auto d = doomed->id;
  const auto k = kept->id;
  s->begin();
  for (int i = 0; i < 3; ++i) {
    s->append_message(msg(room, d, alice, "bye " + std::to_string(i)));
    s->append_message(msg(room, k, bob, "stay " + std::to_string(i)));
  }
  s->append_message(msg(room, room_thread, bob, "lobby"));
  s->commit();
  ASSERT_EQ(s->last_seq(room, d).value(), 3);

  // A failure part-way leaves everything in place.
  block("block_seq_delete", "DELETE", "channel_seqs");
  auto blocked = s->delete_channel(d);
  EXPECT_FALSE(blocked);
  EXPECT_TRUE(blocked.error());
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE id = '" + d + "'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members WHERE channel_id = '" + d + "'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE channel_id = '" + d + "'"), 3);
  unblock("block_seq_delete", "channel_seqs");

  auto deleted = s->delete_channel(d);
  EXPECT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE id = '" + d + "'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members WHERE channel_id = '" + d + "'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE channel_id = '" + d + "'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_seqs WHERE channel_id = '" + d + "'"), 0);
  EXPECT_EQ(s->last_seq(room, d).value(), 0);
  EXPECT_TRUE(s->tail(room, d, 10).value().empty());

  // Other channels and the room thread are untouched.
  EXPECT_EQ(s->tail(room, k, 10).value().size(), 3u);
  EXPECT_EQ(s->last_seq(room, k).value(), 3);
  EXPECT_EQ(s->tail(room, room_thread, 10).value().size(), 1u);
  EXPECT_EQ(s->list_channel_members(room).value().size(), 1u);
  auto channels = s->list_channels(room).value();
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(channels[0].id, k);

  EXPECT_TRUE(s->delete_channel(d).not_found());
  EXPECT_FALSE(s->delete_channel(room_thread));

  // Inside a transaction that is rolled back, the deletion does not stick.
  s->begin();
  EXPECT_TRUE(s->delete_channel(k));
  s->rollback();
  EXPECT_EQ(s->list_channels(room).value().size(), 1u);
  EXPECT_EQ(s->tail(room, k, 10).value().size(), 3u);
}

TEST_P(StoreTest, ListRoomMembersUnitesAuthorsMembersWhitelistAndOwner) {
  auto s = open();
  const auto owner = user(*s, "zed");
  const auto author = user(*s, "Mallory");
  const auto member = user(*s, "bob");
  const auto by_login = user(*s, "carol");
  const auto by_email = user(*s, "dave");   // dave@example.com
  user(*s, "eve");                          // unrelated
  const auto outsider = user(*s, "frank");  // speaks elsewhere only
  const auto room = new_room(*s, "team", owner);
  const auto elsewhere = new_room(*s, "elsewhere", outsider);

  append(*s, msg(room, room_thread, author, "hi"));
  append(*s, msg(room, room_thread, author, "again"));
  append(*s, msg(room, room_thread, "usr_bot_yee", "yee"));  // no users row
  append(*s, msg(elsewhere, room_thread, outsider, "elsewhere"));
  ASSERT_TRUE(s->create_channel(channel(room, "crew", owner), {member, author}));
  whitelist_row w;
  w.room_id = room;
  w.login = "CAROL";
  ASSERT_TRUE(s->add_whitelist(w));
  w.login.clear();
  w.email = "Dave@Example.COM";
  ASSERT_TRUE(s->add_whitelist(w));
  w.email = "nobody@example.com";  // matches no user
  ASSERT_TRUE(s->add_whitelist(w));

  auto members = s->list_room_members(room).value();
  EXPECT_EQ(logins_of(members),
            (std::vector<std::string>{"bob", "carol", "dave", "Mallory", "zed"}));
  std::set<std::string> ids;
  for (const auto& u : members) ids.insert(u.id);
  EXPECT_EQ(ids, (std::set<std::string>{owner, author, member, by_login, by_email}));
  EXPECT_EQ(members[0].name, "bob name");

  EXPECT_EQ(logins_of(s->list_room_members(elsewhere).value()),
            (std::vector<std::string>{"frank"}));
  // The lobby has no owner; only its speakers.
  EXPECT_TRUE(s->list_room_members(room_of(*s)).value().empty());
  EXPECT_TRUE(s->list_room_members("room_missing").value().empty());
}

// -- whitelist and access requests ------------------------------------------------------

TEST_P(StoreTest, WhitelistIsCaseInsensitivePerRoom) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto room = new_room(*s, "team", alice);
  const auto other = new_room(*s, "other", alice);

  whitelist_row w;
  w.room_id = room;
  w.login = "Carol";
  w.note = "from the offsite";
  w.added_by = alice;
  w.created_at = 1000;
  auto a = s->add_whitelist(w);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->id.rfind("wl_", 0), 0u);
  EXPECT_EQ(a->created_at, 1000);

  whitelist_row same = w;
  same.login = "CAROL";
  auto dup = s->add_whitelist(same);
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_NE(dup.error().message.find("login"), std::string::npos) << dup.error().message;

  whitelist_row mail;
  mail.room_id = room;
  mail.email = "Dave@Example.com";
  auto b = s->add_whitelist(mail);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_GT(b->created_at, 0);
  mail.email = "dave@EXAMPLE.com";
  auto dup_mail = s->add_whitelist(mail);
  EXPECT_EQ(dup_mail.error().code, errc::conflict);
  EXPECT_NE(dup_mail.error().message.find("email"), std::string::npos) << dup_mail.error().message;

  // Another room has its own list.
  same.room_id = other;
  EXPECT_TRUE(s->add_whitelist(same));

  whitelist_row none;
  none.room_id = room;
  EXPECT_EQ(s->add_whitelist(none).error().code, errc::missing_field);
  whitelist_row orphan;
  orphan.room_id = "room_missing";
  orphan.login = "x";
  EXPECT_EQ(s->add_whitelist(orphan).error().code, errc::not_found);

  auto list = s->list_whitelist(room).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, a->id);
  EXPECT_EQ(list[0].login, "Carol");
  EXPECT_EQ(list[0].email, "");
  EXPECT_EQ(list[0].note, "from the offsite");
  EXPECT_EQ(list[0].added_by, alice);
  EXPECT_EQ(list[1].login, "");
  EXPECT_EQ(list[1].email, "Dave@Example.com");
  EXPECT_EQ(s->list_whitelist(other).value().size(), 1u);

  // Removing needs the right room.
  EXPECT_FALSE(s->remove_whitelist(other, a->id).has_value());
  EXPECT_EQ(s->list_whitelist(room).value().size(), 2u);
  auto removed = s->remove_whitelist(room, a->id);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->login, "Carol");
  EXPECT_EQ(removed->note, "from the offsite");
  EXPECT_TRUE(s->remove_whitelist(room, a->id).not_found());
  EXPECT_EQ(s->list_whitelist(room).value().size(), 1u);
  // The login is free again.
  same.room_id = room;
  EXPECT_TRUE(s->add_whitelist(same));
}

TEST_P(StoreTest, AccessRequestsCreateListDecide) {
  auto s = open();
  const auto owner = user(*s, "owner");
  const auto bob = user(*s, "Bob");
  const auto carol = user(*s, "carol");
  const auto room = new_room(*s, "team", owner);
  const auto other = new_room(*s, "other", owner);

  access_request_row rq;
  rq.room_id = room;
  rq.user_id = bob;
  rq.note = "let me in";
  rq.created_at = 1000;
  auto b = s->create_access_request(rq);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->id.rfind("arq_", 0), 0u);
  EXPECT_EQ(b->state, request_state::pending);
  EXPECT_EQ(b->login, "Bob");
  EXPECT_EQ(b->note, "let me in");
  EXPECT_FALSE(b->decided_at.has_value());

  auto dup = s->create_access_request(rq);
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  rq.room_id = other;  // pending elsewhere is fine
  ASSERT_TRUE(s->create_access_request(rq));
  rq.room_id = room;
  rq.user_id = carol;
  rq.created_at = 2000;
  auto c = s->create_access_request(rq);
  ASSERT_TRUE(c) << c.error().message;
  rq.user_id = "usr_missing";
  EXPECT_EQ(s->create_access_request(rq).error().code, errc::not_found);

  auto pending = s->list_access_requests(room, request_state::pending).value();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, b->id);  // oldest first
  EXPECT_EQ(pending[0].login, "Bob");
  EXPECT_EQ(pending[1].id, c->id);
  EXPECT_EQ(pending[1].login, "carol");

  // Deny: no whitelist entry; a new request may follow.
  auto denied = s->decide_access_request(room, c->id, false, owner, 5000);
  ASSERT_TRUE(denied) << denied.error().message;
  EXPECT_EQ(denied->state, request_state::denied);
  EXPECT_EQ(denied->decided_at, std::optional<std::int64_t>{5000});
  EXPECT_EQ(denied->decided_by, owner);
  EXPECT_EQ(denied->login, "carol");
  EXPECT_TRUE(s->list_whitelist(room).value().empty());
  EXPECT_EQ(s->decide_access_request(room, c->id, true, owner, 6000).error().code, errc::conflict);
  EXPECT_TRUE(s->list_whitelist(room).value().empty());
  rq.user_id = carol;
  rq.created_at = 3000;
  ASSERT_TRUE(s->create_access_request(rq));

  // Another room's id, or an unknown one, is not found.
  EXPECT_EQ(s->decide_access_request(other, b->id, true, owner, 6000).error().code,
            errc::not_found);
  EXPECT_EQ(s->decide_access_request(room, "arq_missing", true, owner, 6000).error().code,
            errc::not_found);

  // Approve: the request and a whitelist entry for the requester's login.
  auto approved = s->decide_access_request(room, b->id, true, owner, 7000);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, request_state::approved);
  EXPECT_EQ(approved->decided_at, std::optional<std::int64_t>{7000});
  auto listed = s->list_whitelist(room).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].login, "Bob");
  EXPECT_EQ(listed[0].added_by, owner);
  EXPECT_EQ(listed[0].created_at, 7000);

  // Approving twice conflicts and adds nothing.
  auto twice = s->decide_access_request(room, b->id, true, owner, 8000);
  EXPECT_FALSE(twice);
  EXPECT_EQ(twice.error().code, errc::conflict);
  EXPECT_NE(twice.error().message.find("approved"), std::string::npos) << twice.error().message;
  EXPECT_EQ(s->list_whitelist(room).value().size(), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM whitelist"), 1);

  auto all = s->list_access_requests(room, std::nullopt).value();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].state, request_state::approved);
  EXPECT_EQ(all[1].state, request_state::denied);
  EXPECT_EQ(all[2].state, request_state::pending);
  EXPECT_EQ(s->list_access_requests(room, request_state::denied).value().size(), 1u);
  EXPECT_EQ(s->list_access_requests(other, request_state::pending).value().size(), 1u);
  EXPECT_TRUE(s->list_access_requests("room_missing", std::nullopt).value().empty());
}

TEST_P(StoreTest, ApprovingAnAlreadyListedLoginKeepsOneEntry) {
  auto s = open();
  const auto owner = user(*s, "owner");
  const auto bob = user(*s, "bob");
  const auto room = new_room(*s, "team", owner);
  access_request_row rq;
  rq.room_id = room;
  rq.user_id = bob;
  auto r = s->create_access_request(rq);
  ASSERT_TRUE(r);
  whitelist_row w;
  w.room_id = room;
  w.login = "BOB";
  w.note = "added by hand";
  ASSERT_TRUE(s->add_whitelist(w));

  auto approved = s->decide_access_request(room, r->id, true, owner, 0);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, request_state::approved);
  EXPECT_GT(approved->decided_at.value_or(0), 0);  // 0 means now
  auto listed = s->list_whitelist(room).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].note, "added by hand");
}

TEST_P(StoreTest, ApproveIsAtomic) {
  auto s = open();
  const auto owner = user(*s, "owner");
  const auto bob = user(*s, "bob");
  const auto room = new_room(*s, "team", owner);
  access_request_row rq;
  rq.room_id = room;
  rq.user_id = bob;
  auto r = s->create_access_request(rq);
  ASSERT_TRUE(r);

  // The whitelist insert fails: the state change must not stick either.
  block("block_whitelist", "INSERT", "whitelist");
  auto failed = s->decide_access_request(room, r->id, true, owner, 5000);
  EXPECT_FALSE(failed);
  EXPECT_TRUE(failed.error());
  auto pending = s->list_access_requests(room, request_state::pending).value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_FALSE(pending[0].decided_at.has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM whitelist"), 0);

  // Same inside the writer's transaction: the rest of it still commits.
  s->begin();
  auto side = s->create_channel(channel(room, "side", owner));
  ASSERT_TRUE(side);
  EXPECT_FALSE(s->decide_access_request(room, r->id, true, owner, 5000));
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(s->list_access_requests(room, request_state::pending).value().size(), 1u);
  EXPECT_EQ(s->list_channels(room).value().size(), 1u);
  unblock("block_whitelist", "whitelist");

  s->begin();
  auto ok = s->decide_access_request(room, r->id, true, owner, 6000);
  s->commit();
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(s->list_access_requests(room, request_state::approved).value().size(), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM whitelist WHERE login = 'bob'"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, all_backends(), backend_name);

}  // namespace
}  // namespace relay::storage
