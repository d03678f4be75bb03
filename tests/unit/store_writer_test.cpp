// The store writer as the server runs it: real scheduler threads, COMMIT on the
// committer's own thread, real SQLite files. (The deterministic room_actors suite
// commits inline.)

#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <caf/all.hpp>

#include "actor_testing.hpp"
#include "actors/messages.hpp"
#include "actors/store_writer.hpp"
#include "storage/sqlite_store.hpp"

using namespace relay;

namespace {

using test_support::temp_dir;

class store_writer : public ::testing::Test {
 protected:
  store_writer() {
    db_path = storage::sqlite_store::db_path(dir.path);
    storage::sqlite_store db{db_path};
    room_id = db.find_room_by_slug("lobby")->id;
    alice = db.create_user("alice", "Alice", "")->id;
  }

  storage::new_message post(const std::string& text, const std::string& client_id = "") {
    storage::new_message m;
    m.room_id = room_id;
    m.author_id = alice;
    m.content = text;
    m.client_msg_id = client_id;
    return m;
  }

  temp_dir dir;
  std::string db_path;
  std::string room_id;
  std::string alice;
};

caf::actor_system_config& threaded_config() {
  static caf::actor_system_config cfg = [] {
    caf::actor_system_config c;
    c.set("logger.verbosity", caf::atom("quiet"));
    return c;
  }();
  return cfg;
}

TEST_F(store_writer, EveryAppendIsAckedAfterItsCommitIncludingThoseArrivingMidCommit) {
  constexpr int n = 400;
  std::map<std::int64_t, std::string> acked;  // seq -> content
  std::set<std::int64_t> shown;               // seqs sent early (`applied`)
  {
    caf::actor_system sys{threaded_config()};
    auto open = [p = db_path] { return std::make_unique<storage::sqlite_store>(p); };
    auto writer = spawn_store_writer(sys, open);
    caf::scoped_actor self{sys};
    int answers = 0;
    auto receive_one = [&] {
      self->receive(
          [&](write_outcome& out) {
            ++answers;
            ASSERT_FALSE(out.error) << out.error.message;
            EXPECT_FALSE(out.duplicate);
            // An ack means durable: a separate connection already reads the row.
            storage::sqlite_store other{db_path};
            auto row = other.find_message(out.message.id);
            ASSERT_TRUE(row.has_value()) << "acked before its commit: " << out.message.content;
            acked[out.message.seq] = out.message.content;
          },
          [&](applied_atom, storage::message_row& m) { shown.insert(m.seq); },
          caf::after(std::chrono::seconds(30)) >>
              [&] { FAIL() << "only " << answers << " answers"; });
    };
    auto send = [&](int i) {
      self->send(writer, append_atom::value,
                 post("m" + std::to_string(i), "c" + std::to_string(i)));
    };
    // The first commit also reserves seqs, so every later message may be shown early.
    send(0);
    while (answers < 1 && !HasFatalFailure()) receive_one();
    // The rest in waves: most arrive while an earlier batch is committing and must go
    // into a later batch rather than wait forever.
    for (int i = 1; i < n; ++i) {
      send(i);
      if (i % 25 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    while (answers < n && !HasFatalFailure()) receive_one();
    // A resend of an acked clientMsgId is answered with the original row.
    self->request(writer, caf::infinite, append_atom::value, post("again", "c7"))
        .receive([&](write_outcome& out) { EXPECT_TRUE(out.duplicate) << out.message.content; },
                 [&](caf::error& err) { FAIL() << to_string(err); });
    self->send_exit(writer, caf::exit_reason::user_shutdown);
    self->wait_for(writer);
  }
  ASSERT_EQ(acked.size(), static_cast<std::size_t>(n)) << "every seq distinct";
  EXPECT_EQ(acked.begin()->first, 1);
  EXPECT_EQ(acked.rbegin()->first, n) << "no gap";
  EXPECT_FALSE(shown.empty()) << "later batches are shown before their commit";
  for (auto seq : shown) EXPECT_TRUE(acked.count(seq)) << seq;

  // The writer stopped cleanly, so its seq reservation was released: no gap follows.
  storage::sqlite_store db{db_path};
  ASSERT_TRUE(db.skip_reserved_seqs());
  auto next = db.append_message(post("after restart"));
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next->message.seq, n + 1);
}

}  // namespace
