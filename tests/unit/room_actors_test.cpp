// Deterministic tests of the chat actors (directory, room, channel, connection and
// the store writer/readers) with CAF's test coordinator: no threads, no sleeps.
// The store is real SQLite in a temporary directory; the sink records what a socket
// session would have written.

#include <filesystem>

#include <mutex>
#include "actor_testing.hpp"
#include "recording_sink.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <caf/all.hpp>

#include "actors/chat/connection.hpp"
#include "actors/chat/directory.hpp"
#include "actors/messages.hpp"
#include "actors/store_reader.hpp"
#include "actors/store_writer.hpp"
#include "core/metrics.hpp"
#include "storage/sqlite_store.hpp"

namespace json = boost::json;
using namespace relay;

namespace {

using test_support::recording_sink;
using test_support::temp_dir;
using test_support::testing_config;

class room_actors : public ::testing::Test {
 protected:
  room_actors()
      : sys(testing_config()),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    db_path = storage::sqlite_store::db_path(dir.path);
    open = [p = db_path] { return std::make_unique<storage::sqlite_store>(p); };
    writer = spawn_store_writer(sys, open, false);
    readers = spawn_store_readers(sys, open, 2, {}, false);
    directory = spawn_directory(sys, {writer, readers, 64, 20, 1 << 20, {}, {}, {}});
    sched.run();
    storage::sqlite_store db{db_path};
    alice = principal{*db.create_user("alice", "Alice", ""), "tok_alice"};
    bob = principal{*db.create_user("bob", "Bob", ""), "tok_bob"};
  }

  ~room_actors() override {
    for (auto& c : connections) caf::anon_send(c, close_atom::value);
    sched.run();
    caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(readers, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    sched.run();
  }

  room_actor lobby() {
    room_actor room;
    // The handle goes in as an argument: CAF 0.17 binds a null reference for
    // argument-less spawns, which UBSan rightly rejects.
    sys.spawn(
        [&](caf::event_based_actor* s, room_directory_actor dir) {
          s->request(dir, caf::infinite, room_atom::value, std::string{"lobby"})
              .then([&](room_actor& r) { room = r; });
        },
        directory);
    sched.run();
    return room;
  }

  // Ordering tests send faster than any client may: limits are tested on their own.
  std::shared_ptr<recording_sink> connect(const principal& who,
                                          std::map<std::string, std::int64_t> resume = {},
                                          double send_rate = 1e9, double send_burst = 1e9,
                                          resume_page page = {}, std::size_t room_for = -1) {
    auto sink = std::make_shared<recording_sink>(next_id++);
    sink->room_for = room_for;
    connections.push_back(
        spawn_connection(sys, {sink, lobby(), who, std::move(resume), 4000, 20, caf::actor{},
                               send_rate, send_burst, nullptr, page, nullptr}));
    sched.run();
    return sink;
  }

  void send(std::size_t conn, std::string client_msg_id, std::string content,
            std::string channel = "") {
    caf::anon_send(connections.at(conn),
                   codec::client_frame{codec::client_send{std::move(client_msg_id),
                                                          std::move(content), std::move(channel)}},
                   std::size_t{0});
  }

  std::int64_t stored_count() {
    storage::sqlite_store db{db_path};
    storage::message_query q;
    q.room_id = db.find_room_by_slug("lobby")->id;
    q.limit = 100;
    return static_cast<std::int64_t>(db.list_messages(q).value().size());
  }

  temp_dir dir;
  std::string db_path;
  store_factory open;
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

TEST_F(room_actors, sync_comes_first_and_lists_channel_seqs) {
  auto tab = connect(alice);
  ASSERT_FALSE(tab->frames.empty());
  auto& sync = tab->frames.front();
  EXPECT_EQ(sync.at("type").as_string(), "sync");
  EXPECT_TRUE(sync.at("messages").as_array().empty());
  EXPECT_EQ(sync.at("seqs").as_object().at("__lobby").as_int64(), 0);
}

TEST_F(room_actors, ack_is_sent_only_after_the_message_is_committed) {
  auto tab = connect(alice);
  send(0, "c1", "hello");
  // Step the actors one message at a time: whenever an ack exists, the message must
  // already be readable from an independent store connection. (Live fan-out may go
  // ahead of the commit; the ack never does.)
  bool acked = false;
  bool saw_uncommitted = false;
  while (sched.try_run_once()) {
    auto stored = stored_count();
    bool has_ack = !tab->of_type("ack").empty();
    if (has_ack) {
      EXPECT_EQ(stored, 1) << "the ack must follow the commit";
    } else if (stored == 0) {
      saw_uncommitted = true;
    }
    acked = acked || has_ack;
  }
  ASSERT_TRUE(acked);
  EXPECT_TRUE(saw_uncommitted) << "the test must observe the in-flight state at least once";
  auto ack = tab->of_type("ack").at(0);
  EXPECT_EQ(ack.at("clientMsgId").as_string(), "c1");
  EXPECT_EQ(ack.at("seq").as_int64(), 1);
}

TEST_F(room_actors, every_tab_of_every_user_sees_messages_in_seq_order_and_only_sender_gets_ack) {
  auto a1 = connect(alice);
  auto a2 = connect(alice);
  auto b1 = connect(bob);
  // Interleave two senders; the channel is the single point of order.
  for (int i = 0; i < 20; ++i) {
    send(0, "a" + std::to_string(i), "from alice " + std::to_string(i));
    send(2, "b" + std::to_string(i), "from bob " + std::to_string(i));
  }
  sched.run();
  for (auto* tab : {a1.get(), a2.get(), b1.get()}) {
    auto msgs = tab->of_type("message");
    ASSERT_EQ(msgs.size(), 40u);
    for (std::size_t i = 0; i < msgs.size(); ++i)
      EXPECT_EQ(msgs[i].at("message").at("seq").as_int64(), static_cast<std::int64_t>(i + 1));
  }
  EXPECT_EQ(a1->of_type("ack").size(), 20u);
  EXPECT_EQ(a2->of_type("ack").size(), 0u);
  EXPECT_EQ(b1->of_type("ack").size(), 20u);
  // Per sender, acks come in send order.
  auto acks = a1->of_type("ack");
  for (std::size_t i = 0; i < acks.size(); ++i)
    EXPECT_EQ(acks[i].at("clientMsgId").as_string(), "a" + std::to_string(i));
}

TEST_F(room_actors, resending_a_client_msg_id_is_idempotent) {
  auto a = connect(alice);
  auto b = connect(bob);
  send(0, "same", "once");
  sched.run();
  send(0, "same", "once");
  sched.run();
  auto acks = a->of_type("ack");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].at("serverId"), acks[1].at("serverId"));
  EXPECT_EQ(acks[1].at("seq").as_int64(), 1);
  EXPECT_EQ(b->of_type("message").size(), 1u);
  EXPECT_EQ(stored_count(), 1);
  // The next new message still gets seq 2: the duplicate consumed nothing.
  send(0, "next", "twice");
  sched.run();
  EXPECT_EQ(a->of_type("ack").back().at("seq").as_int64(), 2);
}

TEST_F(room_actors, sync_holds_the_last_twenty_oldest_first) {
  connect(alice);
  for (int i = 1; i <= 25; ++i) send(0, "m" + std::to_string(i), "message " + std::to_string(i));
  sched.run();
  auto late = connect(bob);
  auto& sync = late->frames.front();
  ASSERT_EQ(sync.at("type").as_string(), "sync");
  auto& ms = sync.at("messages").as_array();
  ASSERT_EQ(ms.size(), 20u);
  EXPECT_EQ(ms.front().at("content").as_string(), "message 6");
  EXPECT_EQ(ms.back().at("content").as_string(), "message 25");
  EXPECT_EQ(sync.at("seqs").at("__lobby").as_int64(), 25);
}

TEST_F(room_actors, sends_past_the_connection_bucket_get_rate_limited_and_store_nothing) {
  auto a = connect(alice, {}, 0.001, 2);
  for (int i = 1; i <= 3; ++i) send(0, "r" + std::to_string(i), "m" + std::to_string(i));
  sched.run();
  EXPECT_EQ(a->of_type("ack").size(), 2u);
  auto errors = a->of_type("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("code").as_string(), "RATE_LIMITED");
  EXPECT_EQ(errors[0].at("clientMsgId").as_string(), "r3");
  EXPECT_EQ(stored_count(), 2);
  EXPECT_EQ(a->closed_with, 0) << "one refusal is not abuse";
}

// Issue 19, finding 4: a flood stored the burst, then the close went out before the
// acks (the connection quit with the room's answers still on their way).
TEST_F(room_actors, a_client_closed_for_flooding_gets_the_ack_of_every_stored_send_first) {
  auto a = connect(alice, {}, 0.001, 5);
  for (int i = 0; i < 100; ++i) send(0, "f" + std::to_string(i), "flood");
  sched.run();
  EXPECT_EQ(a->closed_with, 1008);
  EXPECT_EQ(stored_count(), 5) << "the burst; nothing after the decision to close";
  std::size_t acks = 0;
  for (std::size_t i = 0; i < a->frames_at_close; ++i)
    if (a->frames[i].at("type").as_string() == "ack") ++acks;
  EXPECT_EQ(acks, 5u) << "each stored message is acked before the close";
  EXPECT_EQ(a->frames.size(), a->frames_at_close) << "nothing is pushed after the close";
}

TEST_F(room_actors, resume_delivers_exactly_the_missed_messages) {
  connect(alice);
  for (int i = 1; i <= 5; ++i) send(0, "m" + std::to_string(i), "message " + std::to_string(i));
  sched.run();
  auto back = connect(bob, {{"", 2}});
  auto& sync = back->frames.front();
  auto& ms = sync.at("messages").as_array();
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[0].at("seq").as_int64(), 3);
  EXPECT_EQ(ms[2].at("seq").as_int64(), 5);
}

// Once a channel's seqs are reserved by a commit, the writer shows a message to the
// channel before its own commit. Should that batch roll back, clients that saw the
// message are told it is gone, the sender gets an error, not an ack, and its seq is
// never given to another message.
TEST_F(room_actors, a_message_shown_before_a_commit_that_fails_is_retracted_and_its_seq_burnt) {
  auto a = connect(alice);
  auto b = connect(bob);
  send(0, "m1", "first");  // its commit reserves seqs ahead
  sched.run();
  send(0, "m2", "doomed");
  // Run until the append waits in the writer's mailbox, then queue a write behind it
  // that fails inside the same transaction (a nested BEGIN is an SQLite error).
  auto* w = caf::actor_cast<caf::abstract_actor*>(writer);
  while (sched.has_job() && dynamic_cast<caf::abstract_actor*>(sched.jobs.front()) != w)
    sched.run_once();
  ASSERT_TRUE(sched.has_job()) << "the append never reached the writer";
  caf::anon_send(writer, job_atom::value, store_job{[](storage::store& db) { db.begin(); }});
  sched.run();

  auto seen = b->of_type("message");
  ASSERT_EQ(seen.size(), 2u) << "m2 must have been shown before its commit";
  EXPECT_EQ(seen[1].at("message").at("content").as_string(), "doomed");
  EXPECT_EQ(seen[1].at("message").at("seq").as_int64(), 2);
  auto gone = b->of_type("message_deleted");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].at("messageId").as_string(), seen[1].at("message").at("id").as_string());
  auto errors = a->of_type("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("clientMsgId").as_string(), "m2");
  EXPECT_EQ(a->of_type("ack").size(), 1u);
  EXPECT_EQ(stored_count(), 1);

  send(0, "m3", "next");
  sched.run();
  auto acks = a->of_type("ack");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].at("seq").as_int64(), 3) << "seq 2 was seen by clients: never reused";
  seen = b->of_type("message");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].at("message").at("seq").as_int64(), 3);
  EXPECT_EQ(stored_count(), 2);
}

TEST_F(room_actors, invalid_content_is_refused_and_changes_nothing) {
  auto a = connect(alice);
  send(0, "blank", "   \n\t ");
  send(0, "long", std::string(4001, 'x'));
  send(0, "wrong-channel", "hi", "ch_does_not_exist");
  sched.run();
  auto errors = a->of_type("error");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].at("code").as_string(), "CONTENT_EMPTY");
  EXPECT_EQ(errors[1].at("code").as_string(), "CONTENT_TOO_LONG");
  EXPECT_EQ(errors[2].at("code").as_string(), "NOT_FOUND");
  EXPECT_EQ(errors[2].at("clientMsgId").as_string(), "wrong-channel");
  EXPECT_EQ(stored_count(), 0);
  EXPECT_TRUE(a->of_type("message").empty());
}

// Seqs of the messages a client got, the sync's first, in arrival order.
std::vector<std::int64_t> seqs_seen(const recording_sink& sink) {
  std::vector<std::int64_t> out;
  for (auto& f : sink.frames) {
    if (f.at("type").as_string() == "sync")
      for (auto& m : f.at("messages").as_array()) out.push_back(m.at("seq").as_int64());
    if (f.at("type").as_string() == "message") out.push_back(f.at("message").at("seq").as_int64());
  }
  return out;
}

std::vector<std::int64_t> seq_range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> out;
  for (auto s = from; s <= to; ++s) out.push_back(s);
  return out;
}

TEST_F(room_actors, a_long_resume_is_paged_as_the_client_reads_and_then_goes_live_in_order) {
  connect(alice);
  // 150 messages: more than the ring (64 here), so the first pages come from the store.
  for (int i = 1; i <= 150; ++i) send(0, "m" + std::to_string(i), "message " + std::to_string(i));
  sched.run();
  // Bob's queue is full from the start: he gets the sync's first page and nothing more.
  auto bob_sink = connect(bob, {{"", 2}}, 1e9, 1e9, resume_page{10, 1 << 20}, 0);
  EXPECT_EQ(seqs_seen(*bob_sink), seq_range(3, 12));
  EXPECT_EQ(bob_sink->frames.front().at("seqs").at("__lobby").as_int64(), 150);
  // The room goes on meanwhile; Bob is not live yet, so these wait for his pages.
  for (int i = 151; i <= 155; ++i) send(0, "m" + std::to_string(i), "message " + std::to_string(i));
  sched.run();
  EXPECT_EQ(seqs_seen(*bob_sink), seq_range(3, 12));
  // He reads: the rest arrives page by page, then live, each message once, in order.
  bob_sink->room_for = std::size_t(-1);
  sched.advance_time(std::chrono::milliseconds(50));
  sched.run();
  EXPECT_EQ(seqs_seen(*bob_sink), seq_range(3, 155));
  send(0, "m156", "message 156");
  sched.run();
  EXPECT_EQ(seqs_seen(*bob_sink), seq_range(3, 156));
  EXPECT_EQ(bob_sink->closed_with, 0);
}

TEST_F(room_actors, a_resume_page_is_cut_by_bytes_too) {
  connect(alice);
  std::string big(3000, 'x');
  for (int i = 1; i <= 30; ++i) send(0, "b" + std::to_string(i), big);
  sched.run();
  // 11 KB a page: three 3 KB messages (with their frames, ~450 bytes each) per page,
  // from the ring.
  auto bob_sink = connect(bob, {{"", 0}}, 1e9, 1e9, resume_page{100, 11 * 1024});
  ASSERT_EQ(bob_sink->frames.front().at("messages").as_array().size(), 3u);
  EXPECT_EQ(seqs_seen(*bob_sink), seq_range(1, 30));
}

namespace {

std::uint64_t store_pages() {
  return metrics::get().resume_pages[static_cast<std::size_t>(metrics::page_source::store)].value();
}

}  // namespace

// Once one client has paged through a range of the store, others coming back from the
// same place are served from the channel's page cache, and what it serves follows the
// edits and deletes committed since.
TEST_F(room_actors, resumes_after_the_first_share_its_store_pages_and_see_later_edits) {
  auto a = connect(alice);
  // 150 messages: the ring (64 here) holds 87..150, the rest is only in the store.
  for (int i = 1; i <= 150; ++i) send(0, "m" + std::to_string(i), "message " + std::to_string(i));
  sched.run();
  auto before = store_pages();
  auto first = connect(bob, {{"", 2}}, 1e9, 1e9, resume_page{10, 1 << 20});
  EXPECT_EQ(seqs_seen(*first), seq_range(3, 150));
  EXPECT_GT(store_pages(), before);

  before = store_pages();
  // The same place, and one whose first page ends mid-page of the first client's.
  auto same = connect(bob, {{"", 2}}, 1e9, 1e9, resume_page{10, 1 << 20});
  auto near = connect(bob, {{"", 7}}, 1e9, 1e9, resume_page{10, 1 << 20});
  EXPECT_EQ(seqs_seen(*same), seq_range(3, 150));
  EXPECT_EQ(seqs_seen(*near), seq_range(8, 150));
  EXPECT_EQ(store_pages(), before);

  // Edit seq 5 and delete seq 6 (both only in the store and the cache by now).
  auto messages = a->of_type("message");
  auto id_of = [&](std::int64_t seq) {
    return std::string(
        messages.at(static_cast<std::size_t>(seq - 1)).at("message").at("id").as_string());
  };
  auto room = lobby();
  sys.spawn(
      [&](caf::event_based_actor* s, room_actor r) {
        s->send(r, edit_atom::value, edit_request{alice, id_of(5), "edited", {}});
        s->send(r, delete_atom::value, delete_request{alice, id_of(6), {}});
      },
      room);
  sched.run();
  auto later = connect(bob, {{"", 2}}, 1e9, 1e9, resume_page{10, 1 << 20});
  auto want = seq_range(3, 150);
  want.erase(want.begin() + 3);  // seq 6
  EXPECT_EQ(seqs_seen(*later), want);
  for (auto& f : later->frames) {
    if (f.at("type").as_string() != "sync") continue;
    auto& ms = f.at("messages").as_array();
    ASSERT_GE(ms.size(), 3u);
    EXPECT_EQ(ms[2].at("seq").as_int64(), 5);
    EXPECT_EQ(ms[2].at("content").as_string(), "edited");
  }
  EXPECT_EQ(store_pages(), before);
}

// A crowd that comes back at the same moment shares each store read while it is on its
// way: together they read what one client alone reads.
TEST_F(room_actors, a_crowd_resuming_at_once_reads_each_store_page_once) {
  connect(alice);
  for (int i = 1; i <= 150; ++i) send(0, "m" + std::to_string(i), "message " + std::to_string(i));
  sched.run();
  auto before = store_pages();
  std::vector<std::shared_ptr<recording_sink>> crowd;
  auto room = lobby();
  for (int i = 0; i < 4; ++i) {
    crowd.push_back(std::make_shared<recording_sink>(next_id++));
    connections.push_back(spawn_connection(sys, {crowd.back(),
                                                 room,
                                                 bob,
                                                 {{"", 2}},
                                                 4000,
                                                 20,
                                                 caf::actor{},
                                                 1e9,
                                                 1e9,
                                                 nullptr,
                                                 resume_page{10, 1 << 20},
                                                 nullptr}));
  }
  sched.run();
  auto crowd_reads = store_pages() - before;
  for (auto& c : crowd) EXPECT_EQ(seqs_seen(*c), seq_range(3, 150));

  // Unread for 30 s, the cache is empty again: a lone client reads it all itself.
  sched.advance_time(std::chrono::seconds(31));
  sched.run();
  before = store_pages();
  auto alone = connect(bob, {{"", 2}}, 1e9, 1e9, resume_page{10, 1 << 20});
  EXPECT_EQ(seqs_seen(*alone), seq_range(3, 150));
  EXPECT_GT(crowd_reads, 0u);
  EXPECT_EQ(store_pages() - before, crowd_reads);
}

TEST_F(room_actors, the_room_reports_how_many_messages_wait_in_its_mailbox) {
  auto room = lobby();
  auto& h = metrics::get().room_mailbox;
  auto count = h.count();
  auto sum = h.sum();
  // Four probes queued before the room runs: each counts the ones still behind it.
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  for (int i = 0; i < 4; ++i)
    caf::anon_send(room, sample_atom::value, static_cast<std::int64_t>(now));
  sched.run();
  EXPECT_EQ(h.count() - count, 4u);
  EXPECT_EQ(h.sum() - sum, 3.0 + 2 + 1 + 0);
}
