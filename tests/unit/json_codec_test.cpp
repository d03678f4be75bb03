// The chat contract's JSON codec: every client frame, every bad input, and the exact
// shape of what the server sends (docs/api.md).

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "protocol/json_codec.hpp"
#include "protocol/json_detail.hpp"
#include "protocol/room_codec.hpp"
#include "protocol/ws_codec.hpp"

namespace json = boost::json;
using namespace relay;
using namespace relay::codec;

namespace {

storage::message_row sample_message() {
  storage::message_row m;
  m.id = "msg_01J00000000000000000000000";
  m.room_id = "room_1";
  m.channel_id = "";
  m.seq = 7;
  m.author = {"usr_1", "alice", "Alice", "https://a/1.png"};
  m.content = "yeeyee: hi";
  m.client_msg_id = "c_42";
  m.created_at = 1777937400000;  // 2026-05-04T23:30:00.000Z
  m.bot = "yee";
  return m;
}

errc bad_code(std::string_view text) {
  auto f = decode_client_frame(text);
  auto* b = std::get_if<client_bad>(&f);
  return b ? b->error.code : errc::none;
}

}  // namespace

TEST(json_codec, decodes_send_typing_and_ping) {
  auto f = decode_client_frame(
      R"({"type":"send","clientMsgId":"c_42","content":"hi","channelId":null})");
  auto* s = std::get_if<client_send>(&f);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->client_msg_id, "c_42");
  EXPECT_EQ(s->content, "hi");
  EXPECT_EQ(s->channel_id, "");

  f = decode_client_frame(R"({"type":"send","clientMsgId":"x","content":"hi","channelId":"ch_1"})");
  EXPECT_EQ(std::get<client_send>(f).channel_id, "ch_1");
  f = decode_client_frame(
      R"({"type":"send","clientMsgId":"x","content":"hi","channelId":"__lobby"})");
  EXPECT_EQ(std::get<client_send>(f).channel_id, "");
  f = decode_client_frame(R"({"type":"send","clientMsgId":"x","content":"hi"})");
  EXPECT_EQ(std::get<client_send>(f).channel_id, "") << "a missing channelId means the room thread";

  f = decode_client_frame(R"({"type":"typing","channelId":"ch_9"})");
  ASSERT_TRUE(std::holds_alternative<client_typing>(f));
  EXPECT_EQ(std::get<client_typing>(f).channel_id, "ch_9");
  EXPECT_TRUE(std::holds_alternative<client_ping>(decode_client_frame(R"({"type":"ping"})")));
}

TEST(json_codec, every_bad_frame_gets_its_code) {
  EXPECT_EQ(bad_code("not json"), errc::bad_request);
  EXPECT_EQ(bad_code(""), errc::bad_request);
  EXPECT_EQ(bad_code("[1,2]"), errc::bad_request);
  EXPECT_EQ(bad_code(R"({"type":"send","clientMsgId":"c"})"), errc::missing_field);
  EXPECT_EQ(bad_code(R"({"type":"send","content":"hi"})"), errc::missing_field);
  EXPECT_EQ(bad_code(R"({"content":"hi"})"), errc::missing_field);
  EXPECT_EQ(bad_code(R"({"type":"dance"})"), errc::invalid_frame);
  EXPECT_EQ(bad_code(R"({"type":7})"), errc::bad_request);
  EXPECT_EQ(bad_code(R"({"type":"send","clientMsgId":"c","content":5})"), errc::bad_request);
  EXPECT_EQ(bad_code(R"({"type":"send","clientMsgId":"c","content":"x","channelId":3})"),
            errc::bad_request);
  EXPECT_EQ(bad_code(R"({"type":"send","clientMsgId":"","content":"x"})"), errc::bad_request);
  EXPECT_EQ(
      bad_code(R"({"type":"send","clientMsgId":")" + std::string(129, 'c') + R"(","content":"x"})"),
      errc::bad_request);
  // A lone surrogate escape is not text.
  EXPECT_EQ(bad_code(R"({"type":"send","clientMsgId":"c","content":"\ud800"})"), errc::bad_request);
  EXPECT_EQ(bad_code(std::string(40, '[') + std::string(40, ']')), errc::bad_request);
}

TEST(json_codec, errors_echo_the_client_msg_id_when_readable) {
  auto f = decode_client_frame(R"({"type":"send","clientMsgId":"c_9"})");
  EXPECT_EQ(std::get<client_bad>(f).client_msg_id, "c_9");
  auto frame = json::parse(encode_error_frame(std::get<client_bad>(f).error, "c_9")).as_object();
  EXPECT_EQ(frame.at("type").as_string(), "error");
  EXPECT_EQ(frame.at("clientMsgId").as_string(), "c_9");
  EXPECT_EQ(frame.at("code").as_string(), "MISSING_FIELD");
  EXPECT_FALSE(frame.at("error").as_string().empty());
  auto no_id = json::parse(encode_error_frame({errc::invalid_utf8, "bad"}, "")).as_object();
  EXPECT_FALSE(no_id.contains("clientMsgId"));
}

TEST(json_codec, message_object_has_every_contract_field) {
  auto o = json::parse(encode_message(sample_message())).as_object();
  for (auto key : {"id", "roomId", "channelId", "seq", "author", "content", "clientMsgId",
                   "createdAt", "editedAt", "reactions", "threadId", "bot"})
    EXPECT_TRUE(o.contains(key)) << key;
  EXPECT_TRUE(o.at("channelId").is_null());
  EXPECT_EQ(o.at("seq").as_int64(), 7);
  EXPECT_EQ(o.at("createdAt").as_string(), "2026-05-04T23:30:00.000Z");
  EXPECT_TRUE(o.at("editedAt").is_null());
  EXPECT_TRUE(o.at("threadId").is_null());
  EXPECT_EQ(o.at("bot").as_string(), "yee");
  EXPECT_EQ(o.at("author").at("login").as_string(), "alice");
  EXPECT_EQ(o.at("author").at("avatarUrl").as_string(), "https://a/1.png");
}

TEST(json_codec, server_frames_match_the_contract) {
  auto m = sample_message();
  auto msg = json::parse(encode_message_frame(m)).as_object();
  EXPECT_EQ(msg.at("type").as_string(), "message");
  EXPECT_EQ(msg.at("clientMsgId").as_string(), "c_42");
  EXPECT_EQ(msg.at("message").at("id").as_string(), m.id);

  auto ack = json::parse(encode_ack(m)).as_object();
  EXPECT_EQ(ack.at("type").as_string(), "ack");
  EXPECT_EQ(ack.at("serverId").as_string(), m.id);
  EXPECT_EQ(ack.at("seq").as_int64(), 7);
  EXPECT_EQ(ack.at("createdAt").as_string(), "2026-05-04T23:30:00.000Z");

  auto sync = json::parse(encode_sync({m}, {{"", 7}, {"ch_1", 3}})).as_object();
  EXPECT_EQ(sync.at("type").as_string(), "sync");
  EXPECT_EQ(sync.at("messages").as_array().size(), 1u);
  EXPECT_EQ(sync.at("seqs").at("__lobby").as_int64(), 7);
  EXPECT_EQ(sync.at("seqs").at("ch_1").as_int64(), 3);

  EXPECT_EQ(json::parse(encode_pong()).at("type").as_string(), "pong");
  auto del = json::parse(encode_message_deleted(m.id, "")).as_object();
  EXPECT_EQ(del.at("type").as_string(), "message_deleted");
  EXPECT_EQ(del.at("messageId").as_string(), m.id);
  EXPECT_TRUE(del.at("channelId").is_null());
  auto upd = json::parse(encode_message_updated(m)).as_object();
  EXPECT_EQ(upd.at("type").as_string(), "message_updated");
  EXPECT_EQ(upd.at("message").at("content").as_string(), m.content);
}

TEST(json_codec, message_pages_carry_a_keyset_cursor) {
  auto m = sample_message();
  auto page = json::parse(encode_message_page({m}, true)).as_object();
  EXPECT_EQ(page.at("next").at("beforeId").as_string(), m.id);
  EXPECT_EQ(page.at("next").at("beforeCreatedAt").as_string(), "2026-05-04T23:30:00.000Z");
  EXPECT_TRUE(json::parse(encode_message_page({m}, false)).at("next").is_null());
  auto by_seq = json::parse(encode_message_page({m}, true, true)).as_object();
  EXPECT_EQ(by_seq.at("next").at("afterSeq").as_int64(), 7);
}

TEST(json_codec, resume_lists_and_event_ids_round_trip) {
  auto r = parse_resume("__lobby:12,ch_01J:3");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at(""), 12);
  EXPECT_EQ(r->at("ch_01J"), 3);
  EXPECT_EQ(event_id("", 12), "__lobby:12");
  EXPECT_EQ(parse_resume(event_id("ch_x", 5))->at("ch_x"), 5);
  EXPECT_FALSE(parse_resume("__lobby"));
  EXPECT_FALSE(parse_resume("__lobby:x"));
  EXPECT_FALSE(parse_resume("__lobby:-1"));
  EXPECT_FALSE(parse_resume(":4"));
}

TEST(json_codec, rest_bodies_are_checked) {
  auto p = decode_post_body(R"({"content":"hi","channelId":null,"clientMsgId":"c"})");
  ASSERT_TRUE(std::holds_alternative<post_body>(p));
  EXPECT_EQ(std::get<post_body>(p).client_msg_id, "c");
  p = decode_post_body(R"({"channelId":null})");
  EXPECT_EQ(std::get<error_info>(p).code, errc::missing_field);
  p = decode_post_body("{");
  EXPECT_EQ(std::get<error_info>(p).code, errc::bad_request);
  auto e = decode_edit_body(R"({"content":7})");
  EXPECT_EQ(std::get<error_info>(e).code, errc::bad_request);
  auto c = decode_channel_body(R"({"name":"General","slug":"general"})");
  ASSERT_TRUE(std::holds_alternative<channel_body>(c));
  EXPECT_EQ(std::get<channel_body>(c).visibility, "public");
}

TEST(json_codec, a_room_avatar_is_an_http_url_or_a_path_of_this_server) {
  // The client shows these as an <img> (docs/web.md, "Avatars"); a path is Relay's own
  // origin, which the client's CSP allows without naming a host.
  for (std::string ok : {"/static/logo.png", "/files/ab%20c.png?v=2", "https://img.example/a.png",
                         "http://127.0.0.1:8080/x.png", ""}) {
    auto p = decode_room_patch(json::serialize(json::object{{"avatarUrl", ok}}));
    ASSERT_TRUE(std::holds_alternative<storage::room_patch>(p)) << ok;
    EXPECT_EQ(std::get<storage::room_patch>(p).avatar_url, ok);
  }
  // Scripts and documents, another host in disguise (scheme-relative `//`, a backslash
  // browsers read as `/`), and what could break out of an attribute: refused, nothing set.
  for (const std::string& bad : std::vector<std::string>{
           "javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
           "data:image/png;base64,AA", "//evil.example/a.png", "/\\evil.example/a.png", "/a\\b.png",
           "https:///x", "https://", "/a b.png", "/\" onerror=alert(1)", "/a\n.png",
           std::string("/a\0.png", 6), "logo.png", "ftp://img.example/a.png", " /a.png",
           "/" + std::string(2048, 'a')}) {
    auto p = decode_room_patch(json::serialize(json::object{{"avatarUrl", bad}}));
    ASSERT_TRUE(std::holds_alternative<error_info>(p)) << bad;
    EXPECT_EQ(std::get<error_info>(p).code, errc::bad_request) << bad;
  }
}

TEST(json_codec, invalid_utf8_is_its_own_error) {
  EXPECT_EQ(bad_code("{\"type\":\"send\",\"clientMsgId\":\"c\",\"content\":\"\xFF\"}"),
            errc::invalid_utf8);
  auto p = decode_post_body("{\"content\":\"a\xC0\xAF\"}");
  EXPECT_EQ(std::get<error_info>(p).code, errc::invalid_utf8);
}

// Every valid client frame, wrapped in a masked WebSocket frame and fed to the frame
// decoder in every fragment size, decodes to the same typed frame.

TEST(json_codec, valid_frames_decode_the_same_in_every_fragment_size) {
  const std::string frames[] = {
      R"({"type":"send","clientMsgId":"c_42","content":"hi \u00e9 😀","channelId":null})",
      R"({"type":"send","clientMsgId":"c_43","content":"x","channelId":"ch_01J"})",
      R"({"type":"typing","channelId":"__lobby"})",
      R"({"type":"ping"})",
  };
  for (auto& text : frames) {
    std::string wire;
    ws::encode_client_frame(ws::opcode::text, text, 0xA1B2C3D4, wire);
    auto whole = decode_client_frame(text);
    for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
      ws::decoder d{65536};
      std::vector<ws::message> out;
      for (std::size_t i = 0; i < wire.size(); i += chunk)
        ASSERT_EQ(d.feed(std::string_view(wire).substr(i, chunk), out), ws::decode_error::none);
      ASSERT_EQ(out.size(), 1u) << "chunk " << chunk;
      auto got = decode_client_frame(out[0].payload);
      ASSERT_EQ(got.index(), whole.index()) << text << " chunk " << chunk;
      if (auto* s = std::get_if<client_send>(&got)) {
        EXPECT_EQ(s->content, std::get<client_send>(whole).content);
        EXPECT_EQ(s->client_msg_id, std::get<client_send>(whole).client_msg_id);
        EXPECT_EQ(s->channel_id, std::get<client_send>(whole).channel_id);
      }
    }
  }
}

// Messages are written straight to text (no JSON object in between): the text must be
// exactly what Boost.JSON's serializer makes of the object, for any content a user can
// send, so clients and the agent codec see one format.
TEST(json_codec, messages_written_directly_equal_the_serialized_object) {
  std::string every_control;
  for (char c = 0; c < 0x20; ++c) every_control.push_back(c);
  std::vector<std::string> contents = {
      "",
      "plain",
      "quote \" backslash \\ slash / tab \t newline \n",
      every_control,
      "del \x7f and UTF-8: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      std::string(5000, 'x') + "\"end\\",
  };
  // Plain text is skipped 8 bytes at a time: escapes at every offset of a word.
  for (std::size_t k = 0; k < 17; ++k)
    contents.push_back(std::string(k, 'a') + "\"\\\x01\x1f " + std::string(17 - k, 'b'));
  auto m = sample_message();
  for (const auto& content : contents) {
    for (int variant = 0; variant < 2; ++variant) {
      m.content = content;
      m.author.name = content;
      if (variant == 1) {
        m.channel_id = "ch_1";
        m.client_msg_id.clear();
        m.edited_at = 1777937400123;
        m.thread_id = "msg_parent";
        m.bot.clear();
        m.author.avatar_url.clear();
      }
      auto object = detail::message_json(m);
      EXPECT_EQ(encode_message(m), json::serialize(object));
      json::object frame{{"type", "message"},
                         {"clientMsgId", detail::nullable(m.client_msg_id)},
                         {"message", object}};
      EXPECT_EQ(encode_message_frame(m), json::serialize(frame));
      EXPECT_EQ(encode_message_updated(m),
                json::serialize(json::object{{"type", "message_updated"}, {"message", object}}));
    }
  }

  std::vector<storage::message_row> page{sample_message(), m};
  json::array messages{detail::message_json(page[0]), detail::message_json(page[1])};
  EXPECT_EQ(encode_sync(page, {{"", 7}, {"ch_1", 9}}),
            json::serialize(json::object{{"type", "sync"},
                                         {"messages", messages},
                                         {"seqs", json::object{{"__lobby", 7}, {"ch_1", 9}}}}));
  EXPECT_EQ(encode_sync({}, {}), R"({"type":"sync","messages":[],"seqs":{}})");
  EXPECT_EQ(encode_message_page(page, true, true),
            json::serialize(
                json::object{{"messages", messages}, {"next", json::object{{"afterSeq", m.seq}}}}));
  EXPECT_EQ(encode_message_page(page, false, false),
            json::serialize(json::object{{"messages", messages}, {"next", nullptr}}));
}

TEST(json_codec, health_is_ok_unless_a_configured_check_fails) {
  health_checks c;
  c.sqlite = "ok";
  auto v = json::parse(encode_health(c, 1777937400000));
  EXPECT_EQ(v.at("ok"), true);
  EXPECT_EQ(v.at("ts"), "2026-05-04T23:30:00.000Z");
  EXPECT_EQ(v.at("checks"),
            json::parse(R"({"server":"ok","redis":"off","sqlite":"ok","postgres":"off"})"));
  c.redis = "ok";
  EXPECT_EQ(json::parse(encode_health(c, 0)).at("ok"), true);
  c.redis = "fail";
  v = json::parse(encode_health(c, 0));
  EXPECT_EQ(v.at("ok"), false);
  EXPECT_EQ(v.at("checks").at("redis"), "fail");
  c.redis = "off";
  c.sqlite = "fail";
  EXPECT_EQ(json::parse(encode_health(c, 0)).at("ok"), false);
}
