// What nodes tell each other over Redis (protocol/cluster_codec): each kind survives the
// trip unchanged, and a payload someone else published — not JSON, a kind nobody sends,
// a field missing or of the wrong type — is refused instead of half-read.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/cluster_codec.hpp"

using namespace relay::codec;
using kind = agent_call::kind;

namespace {

agent_call call_of(kind what) {
  agent_call c;
  c.what = what;
  c.node = "node_a";
  c.agent_id = "athena";
  return c;
}

agent_call round_trip(const agent_call& c) {
  auto back = decode_agent_call(encode_agent_call(c));
  EXPECT_TRUE(back.has_value()) << encode_agent_call(c);
  return back.value_or(agent_call{});
}

}  // namespace

TEST(ClusterCodec, AnnouncementsCarryTheAgentAndItsNode) {
  for (auto what : {kind::online, kind::offline}) {
    auto back = round_trip(call_of(what));
    EXPECT_EQ(back.what, what);
    EXPECT_EQ(back.node, "node_a");
    EXPECT_EQ(back.agent_id, "athena");
  }
}

TEST(ClusterCodec, EventTokenReplyAndFailKeepTheirText) {
  auto ev = call_of(kind::event);
  ev.event_id = "evt_1";
  ev.text = R"({"type":"event","payload":{"q":"\u00e9 \"quoted\""}})";
  auto back = round_trip(ev);
  EXPECT_EQ(back.what, kind::event);
  EXPECT_EQ(back.event_id, "evt_1");
  EXPECT_EQ(back.text, ev.text);

  auto reply = call_of(kind::reply);
  reply.event_id = "evt_1";
  reply.text = "";  // an empty reply is a reply
  reply.metadata.tokens_used = 7;
  reply.metadata.model = "m1";
  back = round_trip(reply);
  EXPECT_EQ(back.what, kind::reply);
  EXPECT_EQ(back.text, "");
  EXPECT_EQ(back.metadata.tokens_used, 7);
  EXPECT_EQ(back.metadata.model, "m1");
  EXPECT_FALSE(back.metadata.latency_ms.has_value());

  auto fail = call_of(kind::fail);
  fail.event_id = "evt_2";
  fail.text = "model crashed";
  fail.code = "RELAY_INTERNAL_ERROR";
  back = round_trip(fail);
  EXPECT_EQ(back.text, "model crashed");
  EXPECT_EQ(back.code, "RELAY_INTERNAL_ERROR");
}

TEST(ClusterCodec, PauseSaysWhichWay) {
  auto p = call_of(kind::pause);
  p.paused = true;
  EXPECT_TRUE(round_trip(p).paused);
  p.paused = false;
  EXPECT_FALSE(round_trip(p).paused);
}

TEST(ClusterCodec, RefusesAgentCallsNobodySends) {
  const std::vector<std::string> bad{
      "",
      "not json",
      "[]",
      R"({"k":"online","node":"node_a"})",                                        // no agent
      R"({"k":"online","node":"","agent":"athena"})",                             // empty node
      R"({"k":"wave","node":"node_a","agent":"athena"})",                         // unknown kind
      R"({"k":"token","node":"node_a","agent":"athena","text":"x"})",             // no event id
      R"({"k":"token","node":"node_a","agent":"athena","event":"e"})",            // no text
      R"({"k":"fail","node":"node_a","agent":"athena","event":"e","text":"x"})",  // no code
      R"({"k":"pause","node":"node_a","agent":"athena"})",                        // which way?
      R"({"k":"pause","node":"node_a","agent":"athena","paused":1})",
      R"({"k":"reply","node":"node_a","agent":"athena","event":"e","text":"x","tokens":"7"})",
      R"({"k":"cancel","node":1,"agent":"athena","event":"e"})",
  };
  for (auto& text : bad) EXPECT_FALSE(decode_agent_call(text).has_value()) << text;
}

TEST(ClusterCodec, RoomEventsAndSessionEventsRoundTrip) {
  relay::storage::message_row m;
  m.id = "msg_1";
  m.channel_id = "ch_1";
  m.seq = 42;
  m.author = {"usr_1", "ada", "Ada", ""};
  m.content = "hello";
  m.created_at = 1000;
  auto e = about_message(cluster_event::kind::message, "room_1", m);
  e.node = "node_a";
  auto back = decode_cluster_event(encode_cluster_event(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->message.seq, 42);
  EXPECT_EQ(back->message.content, "hello");
  EXPECT_EQ(back->message.room_id, "room_1");

  cluster_event f;
  f.what = cluster_event::kind::frame;
  f.node = "node_a";
  f.room_id = "room_1";
  f.channel_id = "";  // the room-wide thread
  f.text = R"({"type":"ai_token","token":"It is "})";
  f.ephemeral = true;
  back = decode_cluster_event(encode_cluster_event(f));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->what, cluster_event::kind::frame);
  EXPECT_EQ(back->text, f.text);
  EXPECT_TRUE(back->ephemeral);
  EXPECT_EQ(back->channel_id, "");
  EXPECT_FALSE(decode_cluster_event(
      R"({"k":"frame","node":"n","room":"r","t":1,"channel":"","frame":"x"})"));  // ephemeral?

  auto s = decode_session_event(encode_session_event({"node_a", "tok_1"}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->revoked_token_id, "tok_1");
  EXPECT_FALSE(decode_session_event(R"({"node":"node_a"})"));
  // An agent call is not a room event, and a room event is not an agent call.
  EXPECT_FALSE(decode_cluster_event(encode_agent_call(call_of(kind::online))));
  EXPECT_FALSE(decode_agent_call(encode_cluster_event(e)));
}

TEST(ClusterCodec, AReactionCarriesTheMessagesReactionsInOrderAndItsFrame) {
  relay::storage::message_row m;
  m.id = "msg_1";
  m.channel_id = "ch_1";
  m.seq = 7;
  m.author = {"usr_1", "ada", "Ada", ""};
  m.content = "hello";
  m.created_at = 1000;
  m.reactions = {{":tada:", {"bob", "ada"}}, {"👍", {"ada"}}};
  auto e = about_message(cluster_event::kind::reacted, "room_1", m);
  e.node = "node_a";
  e.text = R"({"type":"reaction_added"})";
  auto back = decode_cluster_event(encode_cluster_event(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->what, cluster_event::kind::reacted);
  EXPECT_EQ(back->text, e.text);
  ASSERT_EQ(back->message.reactions.size(), 2u);
  EXPECT_EQ(back->message.reactions[0].emoji, ":tada:");
  EXPECT_EQ(back->message.reactions[0].logins, (std::vector<std::string>{"bob", "ada"}));
  EXPECT_EQ(back->message.reactions[1].emoji, "👍");
  // Without its frame, or with reactions of the wrong shape, it is refused.
  const std::string head =
      R"({"k":"reacted","node":"n","room":"r","t":1,"message":{"id":"m","channel":"","seq":1,)"
      R"("author":{"id":"u","login":"a","name":"","avatar":""},"content":"","clientMsgId":"",)"
      R"("createdAt":1,"threadId":"","bot":"")";
  EXPECT_TRUE(decode_cluster_event(head + R"(,"reactions":[["x",["a"]]]},"frame":"f"})"));
  EXPECT_FALSE(decode_cluster_event(head + R"(,"reactions":[["x",["a"]]]}})"));
  EXPECT_FALSE(decode_cluster_event(head + R"(,"reactions":[["x","a"]]},"frame":"f"})"));
  EXPECT_FALSE(decode_cluster_event(head + R"(,"reactions":{"x":["a"]}},"frame":"f"})"));
  EXPECT_FALSE(decode_cluster_event(head + R"(,"reactions":[["x",[1]]]},"frame":"f"})"));
}

TEST(ClusterCodec, ANotificationCrossesNodesForItsUserOnly) {
  const std::string frame = R"({"type":"notification","notification":{"id":"ntf_1"}})";
  auto s = decode_session_event(encode_session_event({"node_a", "", "usr_b", frame}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->node, "node_a");
  EXPECT_EQ(s->notify_user_id, "usr_b");
  EXPECT_EQ(s->frame, frame);
  EXPECT_TRUE(s->revoked_token_id.empty());  // not a revocation: no socket closes
  // A revocation still decodes as one, not as a notification.
  auto r = decode_session_event(encode_session_event({"node_a", "tok_1"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->revoked_token_id, "tok_1");
  EXPECT_TRUE(r->notify_user_id.empty());
  for (const char* bad : {
           R"({"node":"n","notify":"","frame":"{}"})",             // no user
           R"({"node":"n","notify":"usr_b"})",                     // no frame
           R"({"node":"n","notify":"usr_b","frame":"not json"})",  // frame not an object
           R"({"node":"n","notify":"usr_b","frame":"[1]"})",
           R"({"node":"n","notify":"usr_b","frame":{}})",                   // frame must be text
           R"({"notify":"usr_b","frame":"{}"})",                            // no node
           R"({"node":"n","revoke":"tok","notify":"usr_b","frame":"{}"})",  // both
       })
    EXPECT_FALSE(decode_session_event(bad)) << bad;
}

TEST(ClusterCodec, AThreadUpdateCarriesTheRootWithItsCountsOrOnlyItsFrame) {
  relay::storage::message_row m;
  m.id = "msg_1";
  m.channel_id = "ch_1";
  m.seq = 3;
  m.author = {"usr_1", "ada", "Ada", ""};
  m.content = "root";
  m.created_at = 1000;
  m.thread_id = "thr_1";
  m.reply_count = 4;
  m.last_reply_at = 2000;
  auto e = about_message(cluster_event::kind::threaded, "room_1", m);
  e.node = "node_a";
  e.channel_id = "ch_1";
  e.text = R"({"type":"thread_updated"})";
  auto back = decode_cluster_event(encode_cluster_event(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->what, cluster_event::kind::threaded);
  EXPECT_EQ(back->channel_id, "ch_1");
  EXPECT_EQ(back->text, e.text);
  EXPECT_EQ(back->message.id, "msg_1");
  EXPECT_EQ(back->message.room_id, "room_1");
  EXPECT_EQ(back->message.thread_id, "thr_1");
  EXPECT_EQ(back->message.reply_count, 4);
  EXPECT_EQ(back->message.last_reply_at, std::optional<std::int64_t>{2000});

  // A deleted root: the frame alone, for the channel's subscribers.
  e.message = {};
  back = decode_cluster_event(encode_cluster_event(e));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->message.id.empty());
  EXPECT_EQ(back->channel_id, "ch_1");

  const std::string head = R"({"k":"threaded","node":"n","room":"r","t":1)";
  const std::string msg =
      R"({"id":"m","channel":"c","seq":1,"author":{"id":"u","login":"a","name":"","avatar":""},)"
      R"("content":"","clientMsgId":"","createdAt":1,"threadId":"thr","bot":"")";
  EXPECT_TRUE(decode_cluster_event(head + R"(,"channel":"c","frame":"f","message":)" + msg +
                                   R"(,"replyCount":2}})"));
  // Without its frame, with a root of another channel, or a count that is not a count.
  EXPECT_FALSE(decode_cluster_event(head + R"(,"channel":"c","message":)" + msg + "}}"));
  EXPECT_FALSE(
      decode_cluster_event(head + R"(,"channel":"x","frame":"f","message":)" + msg + "}}"));
  EXPECT_FALSE(decode_cluster_event(head + R"(,"channel":"c","frame":"f","message":)" + msg +
                                    R"(,"replyCount":-1}})"));
  EXPECT_FALSE(decode_cluster_event(head + R"(,"channel":"c","frame":"f","message":)" + msg +
                                    R"(,"lastReplyAt":"x"}})"));
}
