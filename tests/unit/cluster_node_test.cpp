// One node's chat actors in a cluster, deterministic: the per-channel order
// (actors/chat/channel.cpp, `deliver`) and the room kept in step with the other nodes
// (actors/chat/room_sync.cpp). What the other nodes commit reaches this node's room as
// the bridge would hand it over, in any order, or not at all (pub/sub is lossy). The store is real
// SQLite that "the other node" writes to directly; no Redis is needed, as no event
// leaves this node (the link's client is never started, so its publishes are dropped).

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <caf/all.hpp>

#include "actor_testing.hpp"
#include "actors/chat/connection.hpp"
#include "actors/chat/directory.hpp"
#include "actors/cluster/fwd.hpp"
#include "actors/store_reader.hpp"
#include "actors/store_writer.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "recording_sink.hpp"
#include "redis/client.hpp"
#include "storage/sqlite_store.hpp"

using namespace relay;

namespace {

using test_support::recording_sink;
using test_support::temp_dir;
using test_support::testing_config;

class cluster_node : public ::testing::Test {
 protected:
  cluster_node()
      : sys(testing_config()),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    db_path = storage::sqlite_store::db_path(dir.path);
    open = [p = db_path] { return std::make_unique<storage::sqlite_store>(p); };
    writer = spawn_store_writer(sys, open, false);
    readers = spawn_store_readers(sys, open, 2, {}, false);
    auto client = std::make_shared<redis::client>(ioc.get_executor(), redis::endpoint{});
    link = std::make_shared<const cluster::link>("node-here", client, cluster::bridge_actor{});
    directory_params dp{writer, readers, 64, 20, 1 << 20, {}, {}, link};
    directory = spawn_directory(sys, dp);
    sched.run();
    storage::sqlite_store db{db_path};
    alice = principal{*db.create_user("alice", "Alice", ""), "tok_alice"};
    bob = principal{*db.create_user("bob", "Bob", ""), "tok_bob"};
  }

  ~cluster_node() override {
    for (auto& c : connections) caf::anon_send(c, close_atom::value);
    sched.run();
    for (const caf::actor& a :
         {caf::actor_cast<caf::actor>(directory), readers, caf::actor_cast<caf::actor>(writer)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  room_actor room(const std::string& slug) {
    room_actor found;
    sys.spawn(
        [&](caf::event_based_actor* s, room_directory_actor dir) {
          s->request(dir, caf::infinite, room_atom::value, slug).then([&](room_actor& r) {
            found = r;
          });
        },
        directory);
    sched.run();
    return found;
  }
  room_actor lobby() { return room("lobby"); }

  /// Room "team", owned by alice, made by another node: its id.
  std::string team_room() {
    storage::sqlite_store db{db_path};
    storage::room_row r;
    r.slug = "team";
    r.display_name = "Team";
    r.owner_id = alice.user.id;
    return db.create_room(r)->id;
  }

  /// Another node changed room `slug` and says so.
  void room_changed(const std::string& slug) {
    storage::sqlite_store db{db_path};
    codec::cluster_event e;
    e.what = codec::cluster_event::kind::room;
    e.node = "node-elsewhere";
    e.room_id = db.find_room_by_slug(slug)->id;
    e.slug = slug;
    caf::anon_send(room(slug), cluster_atom::value, e);
    sched.run();
  }

  std::shared_ptr<recording_sink> connect(const std::string& slug = "lobby",
                                          std::optional<principal> who = std::nullopt) {
    auto sink = std::make_shared<recording_sink>(next_id++);
    connections.push_back(spawn_connection(sys, {sink,
                                                 room(slug),
                                                 who.value_or(alice),
                                                 {},
                                                 4000,
                                                 20,
                                                 caf::actor{},
                                                 1e9,
                                                 1e9,
                                                 nullptr,
                                                 {},
                                                 nullptr}));
    sched.run();
    return sink;
  }

  /// Another node commits a message in the lobby's room-wide thread: its row.
  storage::message_row commit_elsewhere(const std::string& content) {
    storage::sqlite_store db{db_path};
    storage::new_message m;
    m.id = make_id("msg");
    m.room_id = db.find_room_by_slug("lobby")->id;
    m.author_id = alice.user.id;
    m.content = content;
    m.created_at = now_ms();
    EXPECT_TRUE(db.begin());
    auto r = db.append_message(m);
    EXPECT_TRUE(r) << r.error().message;
    EXPECT_TRUE(db.commit());
    return r ? r->message : storage::message_row{};
  }

  void delete_elsewhere(const storage::message_row& m) {
    storage::sqlite_store db{db_path};
    EXPECT_TRUE(db.begin());
    EXPECT_TRUE(db.delete_message(m.id));
    EXPECT_TRUE(db.commit());
  }

  /// The bridge hands the room another node's event.
  void arrives(const storage::message_row& m) {
    codec::cluster_event e;
    e.what = codec::cluster_event::kind::message;
    e.node = "node-elsewhere";
    e.room_id = m.room_id;
    e.message = m;
    caf::anon_send(lobby(), cluster_atom::value, e);
    sched.run();
  }

  static std::vector<std::int64_t> seqs(const recording_sink& tab) {
    std::vector<std::int64_t> out;
    for (auto& f : tab.of_type("message")) out.push_back(f.at("message").at("seq").as_int64());
    return out;
  }

  temp_dir dir;
  std::string db_path;
  store_factory open;
  boost::asio::io_context ioc;
  cluster::link_ptr link;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  store_writer_actor writer;
  caf::actor readers;
  room_directory_actor directory;
  std::vector<caf::actor> connections;
  principal alice, bob;
  std::uint64_t next_id = 1;
};

}  // namespace

TEST_F(cluster_node, messages_arriving_out_of_order_are_shown_in_seq_order_once) {
  auto tab = connect();
  auto m1 = commit_elsewhere("one");
  auto m2 = commit_elsewhere("two");
  arrives(m2);
  arrives(m1);  // late: shown already from the store
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{1, 2}));
  auto shown = tab->of_type("message");
  EXPECT_EQ(shown.at(0).at("message").at("content").as_string(), "one");
}

TEST_F(cluster_node, a_message_pubsub_lost_is_recovered_from_the_store_at_the_next_one) {
  auto tab = connect();
  commit_elsewhere("one");
  commit_elsewhere("two");
  auto m3 = commit_elsewhere("three");
  arrives(m3);
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(cluster_node, a_seq_deleted_before_it_arrived_is_skipped_not_waited_for) {
  auto tab = connect();
  auto m1 = commit_elsewhere("one");
  delete_elsewhere(m1);
  auto m2 = commit_elsewhere("two");
  arrives(m2);
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{2}));
  auto m3 = commit_elsewhere("three");
  arrives(m3);
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{2, 3})) << "the channel moved past seq 1";
}

TEST_F(cluster_node, after_redis_reconnects_the_channel_catches_up_from_the_store) {
  auto tab = connect();
  commit_elsewhere("one");
  commit_elsewhere("two");
  caf::anon_send(lobby(), cluster_atom::value, resync_atom::value);
  sched.run();
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{1, 2}));
}

TEST_F(cluster_node, own_and_other_nodes_messages_interleave_in_seq_order) {
  auto tab = connect();
  auto m1 = commit_elsewhere("elsewhere first");
  // This node's send commits as seq 2 while seq 1's event is still on its way.
  caf::anon_send(connections.at(0),
                 codec::client_frame{codec::client_send{"c1", "here second", ""}}, std::size_t{0});
  sched.run();
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{1, 2}));
  arrives(m1);
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{1, 2}));
  ASSERT_EQ(tab->of_type("ack").size(), 1u);
  EXPECT_EQ(tab->of_type("ack").at(0).at("seq").as_int64(), 2);
}

TEST_F(cluster_node, another_nodes_edits_and_deletes_reach_this_nodes_clients) {
  auto tab = connect();
  auto m1 = commit_elsewhere("one");
  arrives(m1);
  auto edited = m1;
  edited.content = "one, edited";
  edited.edited_at = now_ms();
  auto e = codec::about_message(codec::cluster_event::kind::edited, m1.room_id, edited);
  e.node = "node-elsewhere";
  caf::anon_send(lobby(), cluster_atom::value, e);
  e.what = codec::cluster_event::kind::deleted;
  caf::anon_send(lobby(), cluster_atom::value, e);
  sched.run();
  ASSERT_EQ(tab->of_type("message_updated").size(), 1u);
  EXPECT_EQ(tab->of_type("message_updated").at(0).at("message").at("content").as_string(),
            "one, edited");
  EXPECT_EQ(tab->of_type("message_deleted").size(), 1u);
}

TEST_F(cluster_node, a_channel_another_node_creates_or_deletes_reaches_this_nodes_members_only) {
  const auto room_id = team_room();
  auto alices = connect("team", alice);
  auto bobs = connect("team", bob);
  storage::channel_row ch;
  {
    storage::sqlite_store db{db_path};
    storage::channel_row row;
    row.id = make_id("ch");
    row.room_id = room_id;
    row.slug = "secret";
    row.name = "secret";
    row.visibility = storage::channel_visibility::private_;
    row.created_by = alice.user.id;
    row.created_at = now_ms();
    ch = *db.create_channel(row, {alice.user.id});
  }
  room_changed("team");
  ASSERT_EQ(alices->of_type("channel_created").size(), 1u);
  EXPECT_EQ(alices->of_type("channel_created").at(0).at("channel").at("id").as_string(), ch.id);
  EXPECT_TRUE(bobs->of_type("channel_created").empty()) << "bob is not a member";

  // Its messages reach alice here, live, as any channel's do.
  storage::message_row m;
  {
    storage::sqlite_store db{db_path};
    storage::new_message nm;
    nm.id = make_id("msg");
    nm.room_id = room_id;
    nm.channel_id = ch.id;
    nm.author_id = alice.user.id;
    nm.content = "in secret";
    nm.created_at = now_ms();
    EXPECT_TRUE(db.begin());
    m = db.append_message(nm)->message;
    EXPECT_TRUE(db.commit());
  }
  auto e = codec::about_message(codec::cluster_event::kind::message, room_id, m);
  e.node = "node-elsewhere";
  caf::anon_send(room("team"), cluster_atom::value, e);
  sched.run();
  ASSERT_EQ(alices->of_type("message").size(), 1u);
  EXPECT_TRUE(bobs->of_type("message").empty());

  {
    storage::sqlite_store db{db_path};
    ASSERT_TRUE(db.delete_channel(ch.id));
  }
  room_changed("team");
  ASSERT_EQ(alices->of_type("channel_deleted").size(), 1u);
  EXPECT_TRUE(bobs->of_type("channel_deleted").empty());
}

TEST_F(cluster_node, gating_the_room_on_another_node_closes_this_nodes_outsiders) {
  const auto room_id = team_room();
  auto alices = connect("team", alice);
  auto bobs = connect("team", bob);
  {
    storage::sqlite_store db{db_path};
    storage::room_patch p;
    p.whitelist_only = true;
    ASSERT_TRUE(db.update_room(room_id, p));
  }
  room_changed("team");
  EXPECT_EQ(bobs->closed_with, 1008) << "bob is not on the whitelist";
  EXPECT_EQ(alices->closed_with, 0) << "the owner stays";
  EXPECT_EQ(alices->of_type("branding").size(), 1u);
}

TEST_F(cluster_node, a_room_renamed_on_another_node_is_found_here_by_its_new_slug_only) {
  const auto room_id = team_room();
  auto before = room("team");
  auto tab = connect("team", alice);
  {
    storage::sqlite_store db{db_path};
    storage::room_patch p;
    p.slug = "crew";
    ASSERT_TRUE(db.update_room(room_id, p));
  }
  // The other node announces the room under its new slug.
  codec::cluster_event e;
  e.what = codec::cluster_event::kind::room;
  e.node = "node-elsewhere";
  e.room_id = room_id;
  e.slug = "crew";
  caf::anon_send(before, cluster_atom::value, e);
  sched.run();
  EXPECT_EQ(room("crew"), before) << "the same actor, re-keyed";
  EXPECT_FALSE(room("team")) << "the old slug no longer answers";
  ASSERT_EQ(tab->of_type("branding").size(), 1u);
  EXPECT_EQ(tab->of_type("branding").at(0).at("room").at("slug").as_string(), "crew");
}
