// Cluster mode's per-channel order (actors/chat/channel.cpp, `deliver`), deterministic:
// what the other nodes commit reaches this node's channel through the room as the bridge
// would hand it over, in any order, or not at all (pub/sub is lossy). The store is real
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

class cluster_order : public ::testing::Test {
 protected:
  cluster_order()
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
  }

  ~cluster_order() override {
    for (auto& c : connections) caf::anon_send(c, close_atom::value);
    sched.run();
    for (const caf::actor& a :
         {caf::actor_cast<caf::actor>(directory), readers, caf::actor_cast<caf::actor>(writer)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  room_actor lobby() {
    room_actor room;
    sys.spawn(
        [&](caf::event_based_actor* s, room_directory_actor dir) {
          s->request(dir, caf::infinite, room_atom::value, std::string{"lobby"})
              .then([&](room_actor& r) { room = r; });
        },
        directory);
    sched.run();
    return room;
  }

  std::shared_ptr<recording_sink> connect() {
    auto sink = std::make_shared<recording_sink>(next_id++);
    connections.push_back(spawn_connection(
        sys, {sink, lobby(), alice, {}, 4000, 20, caf::actor{}, 1e9, 1e9, nullptr, {}, nullptr}));
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
  principal alice;
  std::uint64_t next_id = 1;
};

}  // namespace

TEST_F(cluster_order, messages_arriving_out_of_order_are_shown_in_seq_order_once) {
  auto tab = connect();
  auto m1 = commit_elsewhere("one");
  auto m2 = commit_elsewhere("two");
  arrives(m2);
  arrives(m1);  // late: shown already from the store
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{1, 2}));
  auto shown = tab->of_type("message");
  EXPECT_EQ(shown.at(0).at("message").at("content").as_string(), "one");
}

TEST_F(cluster_order, a_message_pubsub_lost_is_recovered_from_the_store_at_the_next_one) {
  auto tab = connect();
  commit_elsewhere("one");
  commit_elsewhere("two");
  auto m3 = commit_elsewhere("three");
  arrives(m3);
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(cluster_order, a_seq_deleted_before_it_arrived_is_skipped_not_waited_for) {
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

TEST_F(cluster_order, after_redis_reconnects_the_channel_catches_up_from_the_store) {
  auto tab = connect();
  commit_elsewhere("one");
  commit_elsewhere("two");
  caf::anon_send(lobby(), cluster_atom::value, resync_atom::value);
  sched.run();
  EXPECT_EQ(seqs(*tab), (std::vector<std::int64_t>{1, 2}));
}

TEST_F(cluster_order, own_and_other_nodes_messages_interleave_in_seq_order) {
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

TEST_F(cluster_order, another_nodes_edits_and_deletes_reach_this_nodes_clients) {
  auto tab = connect();
  auto m1 = commit_elsewhere("one");
  arrives(m1);
  auto edited = m1;
  edited.content = "one, edited";
  edited.edited_at = now_ms();
  codec::cluster_event e{
      codec::cluster_event::kind::edited, "node-elsewhere", 0, m1.room_id, edited, {}, {}};
  caf::anon_send(lobby(), cluster_atom::value, e);
  e.what = codec::cluster_event::kind::deleted;
  caf::anon_send(lobby(), cluster_atom::value, e);
  sched.run();
  ASSERT_EQ(tab->of_type("message_updated").size(), 1u);
  EXPECT_EQ(tab->of_type("message_updated").at(0).at("message").at("content").as_string(),
            "one, edited");
  EXPECT_EQ(tab->of_type("message_deleted").size(), 1u);
}
