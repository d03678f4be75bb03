// The agent contract's JSON codec: every app and agent frame, every bad input with its
// code, the payload cap at its boundary, and the exact shape of what the relay sends.

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <string>
#include <vector>

#include "protocol/agent_codec.hpp"

namespace json = boost::json;
using namespace relay::codec::agents;

namespace {

std::vector<std::string> keys(const json::object& o) {
  std::vector<std::string> out;
  for (auto& kv : o) out.emplace_back(kv.key());
  return out;
}

json::object parse(const std::string& text) {
  return json::parse(text).as_object();
}

template <class Frame>
frame_error error_of(const Frame& f) {
  auto* e = std::get_if<frame_error>(&f);
  return e ? *e : frame_error{"<decoded>", "", "", ""};
}

// An event frame whose payload is {"k":"xxx…"}, `bytes` long.
std::string event_with_payload_bytes(std::size_t bytes) {
  const std::size_t overhead = std::string(R"({"k":""})").size();
  return R"({"type":"event","agent_id":"a","thread_id":"t","payload":{"k":")" +
         std::string(bytes - overhead, 'x') + R"("}})";
}

struct bad_case {
  std::string text;
  std::string code;
  std::string mentions;  // a substring the human message must contain
  std::string event_id;  // echoed id
};

void expect_bad_app(const bad_case& c) {
  auto e = error_of(decode_app_frame(c.text));
  EXPECT_EQ(e.code, c.code) << c.text;
  EXPECT_NE(e.message.find(c.mentions), std::string::npos) << c.text << " -> " << e.message;
  EXPECT_EQ(e.event_id, c.event_id) << c.text;
}

void expect_bad_agent(const bad_case& c) {
  auto e = error_of(decode_agent_frame(c.text));
  EXPECT_EQ(e.code, c.code) << c.text;
  EXPECT_NE(e.message.find(c.mentions), std::string::npos) << c.text << " -> " << e.message;
  EXPECT_EQ(e.event_id, c.event_id) << c.text;
}

const std::string invalid = "INVALID_EVENT";

}  // namespace

// -- app -> relay -----------------------------------------------------------------------

TEST(agent_codec, decodes_every_app_frame) {
  auto f = decode_app_frame(
      R"({"type":"event","agent_id":"yee","thread_id":"th_1","payload":{ "text" : "hi" }})");
  auto* ev = std::get_if<app_event>(&f);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->agent_id, "yee");
  EXPECT_EQ(ev->thread_id, "th_1");
  EXPECT_EQ(ev->payload, R"({ "text" : "hi" })") << "the payload is passed on as sent";

  f = decode_app_frame(R"({"type":"event","agent_id":"a","thread_id":"t","payload":{}})");
  EXPECT_EQ(std::get<app_event>(f).payload, "{}");

  EXPECT_TRUE(std::holds_alternative<app_discover>(decode_app_frame(R"({"type":"discover"})")));
  EXPECT_TRUE(std::holds_alternative<app_ping>(decode_app_frame(R"({"type":"ping"})")));
  EXPECT_TRUE(std::holds_alternative<app_pong>(decode_app_frame(R"({"type":"pong"})")));
  // Unknown extra fields are ignored.
  EXPECT_TRUE(std::holds_alternative<app_ping>(decode_app_frame(R"({"type":"ping","x":[1]})")));

  f = decode_app_frame(R"({"type":"cancel","event_id":"ev_1"})");
  ASSERT_TRUE(std::holds_alternative<app_cancel>(f));
  EXPECT_EQ(std::get<app_cancel>(f).event_id, "ev_1");

  f = decode_app_frame(R"({"type":"resume","event_id":"ev_2","after_seq":0})");
  ASSERT_TRUE(std::holds_alternative<app_resume>(f));
  EXPECT_EQ(std::get<app_resume>(f).event_id, "ev_2");
  EXPECT_EQ(std::get<app_resume>(f).after_seq, 0);
  f = decode_app_frame(R"({"type":"resume","event_id":"ev_2","after_seq":9223372036854775807})");
  EXPECT_EQ(std::get<app_resume>(f).after_seq, INT64_MAX);
}

TEST(agent_codec, malformed_app_frames_are_invalid_events) {
  for (const auto& c : std::vector<bad_case>{
           {"not json", invalid, "malformed JSON", ""},
           {"", invalid, "malformed JSON", ""},
           {R"({"type":"ping")", invalid, "malformed JSON", ""},
           {"[1,2]", invalid, "JSON object", ""},
           {"42", invalid, "JSON object", ""},
           {R"("ping")", invalid, "JSON object", ""},
           {"null", invalid, "JSON object", ""},
           {"{}", invalid, "'type'", ""},
           // Frame errors never name an event, even one the frame names: an app would
           // take the error as that event's end.
           {R"({"event_id":"ev_1"})", invalid, "'type'", ""},
           {R"({"type":7})", invalid, "'type'", ""},
           {R"({"type":null})", invalid, "'type'", ""},
           {R"({"type":"dance"})", invalid, "unknown frame type 'dance'", ""},
           {R"({"type":"dance","event_id":"ev_1"})", invalid, "dance", ""},
           {R"({"type":"token","event_id":"ev_1","token":"x"})", invalid, "token", ""},
           {R"({"type":")" + std::string(1000, 'z') + R"("})", invalid, "unknown frame type", ""},
           // A lone surrogate escape is not text.
           {R"({"type":"event","agent_id":"a","thread_id":"t","payload":{"x":"\ud800"}})", invalid,
            "malformed JSON", ""},
           // Nesting beyond the depth cap: the payload object and 255 arrays in it.
           {R"({"type":"event","agent_id":"a","thread_id":"t","payload":{"a":)" +
                std::string(255, '[') + std::string(255, ']') + "}}",
            invalid, "too deep", ""},
       })
    expect_bad_app(c);
}

// The contract limits a payload's size, not its shape: a payload may nest 255 levels
// (the frame is the 256th) and is passed on as sent, on the app and the agent socket.
TEST(agent_codec, deep_payloads_are_passed_on) {
  ASSERT_EQ(max_frame_depth, 256u);
  const std::string deep = R"({"a":)" + std::string(254, '[') + std::string(254, ']') + "}";
  auto f =
      decode_app_frame(R"({"type":"event","agent_id":"a","thread_id":"t","payload":)" + deep + "}");
  auto* ev = std::get_if<app_event>(&f);
  ASSERT_NE(ev, nullptr) << error_of(f).message;
  EXPECT_EQ(ev->payload, deep);
  auto r = decode_agent_frame(R"({"type":"reply","event_id":"e","content":"x","done":true,)"
                              R"("metadata":{"m":)" +
                              std::string(254, '[') + std::string(254, ']') + "}}");
  EXPECT_TRUE(std::holds_alternative<agent_reply>(r)) << error_of(r).message;
  auto over = decode_agent_frame(R"({"type":"reply","event_id":"e","content":"x","done":true,)"
                                 R"("metadata":{"m":)" +
                                 std::string(255, '[') + std::string(255, ']') + "}}");
  EXPECT_EQ(error_of(over).code, code_invalid_event);
}

TEST(agent_codec, bad_event_fields_are_named) {
  const std::string tail = R"(,"payload":{}})";
  for (const auto& c : std::vector<bad_case>{
           {R"({"type":"event","thread_id":"t")" + tail, invalid, "missing field 'agent_id'", ""},
           {R"({"type":"event","agent_id":5,"thread_id":"t")" + tail, invalid,
            "field 'agent_id' must be a string", ""},
           {R"({"type":"event","agent_id":null,"thread_id":"t")" + tail, invalid, "agent_id", ""},
           {R"({"type":"event","agent_id":"","thread_id":"t")" + tail, invalid,
            "field 'agent_id' must not be empty", ""},
           {R"({"type":"event","agent_id":")" + std::string(65, 'a') + R"(","thread_id":"t")" +
                tail,
            invalid, "field 'agent_id' must be at most 64 characters", ""},
           {R"({"type":"event","agent_id":"a")" + tail, invalid, "missing field 'thread_id'", ""},
           {R"({"type":"event","agent_id":"a","thread_id":42)" + tail, invalid,
            "field 'thread_id' must be a string", ""},
           {R"({"type":"event","agent_id":"a","thread_id":"")" + tail, invalid,
            "field 'thread_id' must not be empty", ""},
           {R"({"type":"event","agent_id":"a","thread_id":")" + std::string(257, 't') + "\"" + tail,
            invalid, "field 'thread_id' must be at most 256 characters", ""},
           {R"({"type":"event","agent_id":"a","thread_id":"t"})", invalid,
            "missing field 'payload'", ""},
           {R"({"type":"event","agent_id":"a","thread_id":"t","payload":null})", invalid,
            "field 'payload' must be a JSON object", ""},
           {R"({"type":"event","agent_id":"a","thread_id":"t","payload":[1]})", invalid,
            "field 'payload' must be a JSON object", ""},
           {R"({"type":"event","agent_id":"a","thread_id":"t","payload":"{}"})", invalid,
            "field 'payload' must be a JSON object", ""},
           {R"({"type":"event","agent_id":"a","thread_id":"t","payload":3})", invalid,
            "field 'payload' must be a JSON object", ""},
           // The relay assigns event ids; one sent with an event is not echoed.
           {R"({"type":"event","event_id":"ev_x","thread_id":"t")" + tail, invalid, "agent_id", ""},
       })
    expect_bad_app(c);
}

// An app with several events out learns which one was refused: every refusal of an
// event names the agent it asked for, when it named a well-formed one.
TEST(agent_codec, refused_events_name_the_agent_they_asked_for) {
  const std::string agent = R"({"type":"event","agent_id":"athena")";
  for (const auto& text : std::vector<std::string>{
           agent + R"(,"payload":{}})",                 // no thread_id
           agent + R"(,"thread_id":"","payload":{}})",  // empty thread_id
           agent + R"(,"thread_id":7,"payload":{}})",   // mistyped thread_id
           agent + R"(,"thread_id":")" + std::string(257, 't') + R"(","payload":{}})",
           agent + R"(,"thread_id":"t"})",                // no payload
           agent + R"(,"thread_id":"t","payload":[1]})",  // not an object
           agent + R"(,"event_id":"evt_mine","thread_id":"t","payload":null})",
       }) {
    auto e = error_of(decode_app_frame(text));
    EXPECT_EQ(e.code, invalid) << text;
    EXPECT_EQ(e.agent_id, "athena") << text;
    EXPECT_EQ(e.event_id, "") << text;
  }
  auto big = error_of(decode_app_frame(
      R"({"type":"event","agent_id":"athena","thread_id":"t","payload":{"k":"xxxxxx"}})", 8));
  EXPECT_EQ(big.code, "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(big.agent_id, "athena");
  EXPECT_EQ(big.event_id, "");

  // No agent, or a malformed one, is named by nothing.
  for (const auto& text : std::vector<std::string>{
           R"({"type":"event","thread_id":"t","payload":{}})",
           R"({"type":"event","agent_id":"","thread_id":"t","payload":{}})",
           R"({"type":"event","agent_id":["athena"],"thread_id":"t","payload":{}})",
           R"({"type":"event","agent_id":")" + std::string(65, 'a') + R"(","payload":{}})",
           R"({"type":"cancel","agent_id":"athena"})",
           R"({"type":"dance","agent_id":"athena"})",
           R"({"agent_id":"athena","thread_id":"t","payload":{}})",
           "not json",
       })
    EXPECT_EQ(error_of(decode_app_frame(text)).agent_id, "") << text;
  EXPECT_EQ(error_of(decode_agent_frame(R"({"type":"token","agent_id":"athena"})")).agent_id, "");
}

TEST(agent_codec, id_limits_count_characters_not_bytes) {
  auto event = [](const std::string& agent, const std::string& thread) {
    return decode_app_frame(R"({"type":"event","agent_id":")" + agent + R"(","thread_id":")" +
                            thread + R"(","payload":{}})");
  };
  std::string e_acute = "\xC3\xA9";  // é, two bytes
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  EXPECT_TRUE(std::holds_alternative<app_event>(event(std::string(64, 'a'), "t")));
  EXPECT_TRUE(std::holds_alternative<app_event>(event("a", std::string(256, 't'))));
  EXPECT_TRUE(std::holds_alternative<app_event>(event(repeat(e_acute, 64), repeat(e_acute, 256))));
  EXPECT_EQ(error_of(event(repeat(e_acute, 65), "t")).code, invalid);
  EXPECT_EQ(error_of(event("a", repeat(e_acute, 257))).code, invalid);
  // An escaped character counts once.
  EXPECT_TRUE(std::holds_alternative<app_event>(event(repeat("\\u00e9", 64), "t")));
}

TEST(agent_codec, bad_cancel_and_resume_fields_are_named) {
  for (const auto& c : std::vector<bad_case>{
           {R"({"type":"cancel"})", invalid, "missing field 'event_id'", ""},
           {R"({"type":"cancel","event_id":5})", invalid, "field 'event_id' must be a string", ""},
           {R"({"type":"cancel","event_id":null})", invalid, "event_id", ""},
           {R"({"type":"cancel","event_id":""})", invalid, "field 'event_id' must not be empty",
            ""},
           {R"({"type":"resume","after_seq":1})", invalid, "missing field 'event_id'", ""},
           {R"({"type":"resume","event_id":"","after_seq":1})", invalid, "event_id", ""},
           {R"({"type":"resume","event_id":"ev_1"})", invalid, "missing field 'after_seq'", "ev_1"},
           {R"({"type":"resume","event_id":"ev_1","after_seq":-1})", invalid,
            "field 'after_seq' must be a non-negative integer", "ev_1"},
           {R"({"type":"resume","event_id":"ev_1","after_seq":1.5})", invalid, "after_seq", "ev_1"},
           {R"({"type":"resume","event_id":"ev_1","after_seq":3.0})", invalid, "after_seq", "ev_1"},
           {R"({"type":"resume","event_id":"ev_1","after_seq":1e3})", invalid, "after_seq", "ev_1"},
           {R"({"type":"resume","event_id":"ev_1","after_seq":"3"})", invalid, "after_seq", "ev_1"},
           {R"({"type":"resume","event_id":"ev_1","after_seq":null})", invalid, "after_seq",
            "ev_1"},
           {R"({"type":"resume","event_id":"ev_1","after_seq":true})", invalid, "after_seq",
            "ev_1"},
           {R"({"type":"resume","event_id":"ev_1","after_seq":18446744073709551615})", invalid,
            "field 'after_seq' is out of range", "ev_1"},
       })
    expect_bad_app(c);
}

TEST(agent_codec, payload_cap_is_exact) {
  // Default cap: 64 KB of compact serialization.
  auto at = decode_app_frame(event_with_payload_bytes(64 * 1024));
  ASSERT_TRUE(std::holds_alternative<app_event>(at)) << error_of(at).message;
  EXPECT_EQ(std::get<app_event>(at).payload.size(), 64u * 1024);

  auto over = error_of(decode_app_frame(event_with_payload_bytes(64 * 1024 + 1)));
  EXPECT_EQ(over.code, "PAYLOAD_TOO_LARGE");
  EXPECT_NE(over.message.find("65537"), std::string::npos) << over.message;
  EXPECT_NE(over.message.find("65536"), std::string::npos) << over.message;
  EXPECT_EQ(over.event_id, "");

  // A custom cap. The payload is measured as sent: white space and escapes count.
  EXPECT_TRUE(
      std::holds_alternative<app_event>(decode_app_frame(event_with_payload_bytes(100), 100)));
  EXPECT_EQ(error_of(decode_app_frame(event_with_payload_bytes(101), 100)).code,
            "PAYLOAD_TOO_LARGE");
  const std::string spaced = R"({   "k"  :   [ 1.5 ,  2.50 ]   })";
  const std::string frame =
      R"({"type":"event","agent_id":"a","thread_id":"t","payload":)" + spaced + "}";
  auto f = decode_app_frame(frame, spaced.size());
  ASSERT_TRUE(std::holds_alternative<app_event>(f)) << error_of(f).message;
  EXPECT_EQ(std::get<app_event>(f).payload, spaced);
  EXPECT_EQ(error_of(decode_app_frame(frame, spaced.size() - 1)).code, "PAYLOAD_TOO_LARGE");
}

TEST(agent_codec, payload_round_trips_untouched) {
  const std::string payload =
      R"({"text":"héllo \"world\" \\ \n\t 😀","unicode_escaped":"\u00e9\ud83d\ude00",)"
      R"("nested":{"a":{"b":{"c":[1,[2,[3,{"d":null}]]]}}},"ints":[0,-1,42,9223372036854775807,)"
      R"(-9223372036854775808,18446744073709551615],"floats":[1.5,-0.25,1e-7,3.0,6.02e23],)"
      R"("bools":[true,false],"empty_obj":{},"empty_arr":[],"order":{"z":1,"a":2,"m":3}})";
  auto f = decode_app_frame(R"({"type":"event","agent_id":"a","thread_id":"t","payload":)" +
                            payload + "}");
  ASSERT_TRUE(std::holds_alternative<app_event>(f)) << error_of(f).message;
  const auto& ev = std::get<app_event>(f);
  const json::value original = json::parse(payload);
  EXPECT_EQ(json::parse(ev.payload), original);
  EXPECT_EQ(keys(parse(ev.payload).at("order").as_object()),
            (std::vector<std::string>{"z", "a", "m"}))
      << "key order is kept";
  EXPECT_EQ(parse(ev.payload).at("unicode_escaped").as_string(), "\xC3\xA9\xF0\x9F\x98\x80");

  // Through the relay to the agent and back to the app, the object is the same.
  auto to_agent = parse(encode_agent_event("ev_1", "app_1", "t", "sk", ev.payload));
  EXPECT_EQ(to_agent.at("payload"), original);
  auto to_app = parse(encode_reply("ev_1", "a", "t", "hi", ev.payload, {}));
  EXPECT_EQ(to_app.at("payload"), original);

  EXPECT_EQ(ev.payload, payload) << "byte for byte";
  EXPECT_NE(encode_agent_event("e", "p", "t", "s", payload).find(payload), std::string::npos);
  EXPECT_NE(encode_reply("e", "a", "t", "hi", payload, {}).find(payload), std::string::npos);

  // What a parser would change: numbers out of a double's range or precision, number
  // spellings, repeated keys, escapes. None of it is the relay's to change.
  for (const std::string odd :
       {R"({"x":1e400,"y":1})", R"({"big":123456789012345678901234567890})",
        R"({"f":[0.1,1.0,-0.0,123456789.123]})", R"({"dup":1,"dup":2})", R"({"s":"é\/"})"}) {
    f = decode_app_frame(R"({"type":"event","agent_id":"a","thread_id":"t","payload":)" + odd +
                         "}");
    ASSERT_TRUE(std::holds_alternative<app_event>(f)) << odd << ": " << error_of(f).message;
    EXPECT_EQ(std::get<app_event>(f).payload, odd);
  }
  // The last of repeated "payload" members counts, as it does for the parser's checks.
  f = decode_app_frame(
      R"({"type":"event","payload":[1],"agent_id":"a","thread_id":"t","payload" : {"n":2} })");
  ASSERT_TRUE(std::holds_alternative<app_event>(f)) << error_of(f).message;
  EXPECT_EQ(std::get<app_event>(f).payload, R"({"n":2})");
  f = decode_app_frame(R"({"type":"event","agent_id":"a","thread_id":"t","pay\u006coad":{"e":1}})");
  ASSERT_TRUE(std::holds_alternative<app_event>(f)) << error_of(f).message;
  EXPECT_EQ(std::get<app_event>(f).payload, R"({"e":1})") << "an escaped key is the same key";

  // Compact input comes back byte for byte.
  const std::string compact = R"({"a":{"b":[1,-2,{"c":"é😀"}]},"t":true,"z":null,"s":"x\"y"})";
  f = decode_app_frame(R"({"type":"event","agent_id":"a","thread_id":"t","payload":)" + compact +
                       "}");
  EXPECT_EQ(std::get<app_event>(f).payload, compact);
  EXPECT_NE(encode_agent_event("e", "p", "t", "s", compact).find(compact), std::string::npos);
}

TEST(agent_codec, invalid_utf8_bytes_are_rejected) {
  const std::vector<std::string> bad_bytes = {
      "\xFF",              // never valid
      "\xC0\xAF",          // overlong '/'
      "\xE2\x82",          // truncated sequence
      "\xED\xA0\x80",      // UTF-16 surrogate encoded as UTF-8
      "\xF4\x90\x80\x80",  // past U+10FFFF
      "\x80",              // stray continuation byte
  };
  for (auto& b : bad_bytes) {
    for (const auto& text : {
             R"({"type":"event","agent_id":"a","thread_id":"t","payload":{"k":")" + b + "\"}}",
             R"({"type":"event","agent_id":")" + b + R"(","thread_id":"t","payload":{}})",
             R"({"type":"cancel","event_id":")" + b + "\"}",
         }) {
      auto e = error_of(decode_app_frame(text));
      EXPECT_EQ(e.code, invalid);
      EXPECT_NE(e.message.find("UTF-8"), std::string::npos) << e.message;
      EXPECT_EQ(e.event_id, "");
    }
    auto e =
        error_of(decode_agent_frame(R"({"type":"token","event_id":"ev_1","token":")" + b + "\"}"));
    EXPECT_EQ(e.code, invalid);
    EXPECT_NE(e.message.find("UTF-8"), std::string::npos) << e.message;
  }
}

// -- agent -> relay ---------------------------------------------------------------------

TEST(agent_codec, decodes_every_agent_frame) {
  auto f = decode_agent_frame(R"({"type":"token","event_id":"ev_1","token":"Hel"})");
  ASSERT_TRUE(std::holds_alternative<agent_token>(f));
  EXPECT_EQ(std::get<agent_token>(f).event_id, "ev_1");
  EXPECT_EQ(std::get<agent_token>(f).token, "Hel");
  f = decode_agent_frame(R"({"type":"token","event_id":"ev_1","token":""})");
  EXPECT_EQ(std::get<agent_token>(f).token, "") << "an empty token is allowed";

  f = decode_agent_frame(R"({"type":"reply","event_id":"ev_1","content":"Hello","done":true,)"
                         R"("metadata":{"tokens_used":12,"model":"m-1","latency_ms":340}})");
  auto* r = std::get_if<agent_reply>(&f);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->event_id, "ev_1");
  EXPECT_EQ(r->content, "Hello");
  EXPECT_EQ(r->metadata.tokens_used, 12);
  EXPECT_EQ(r->metadata.model, "m-1");
  EXPECT_EQ(r->metadata.latency_ms, 340);

  // done and metadata may be missing; so may each metadata field.
  f = decode_agent_frame(R"({"type":"reply","event_id":"ev_1","content":""})");
  r = std::get_if<agent_reply>(&f);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->content, "");
  EXPECT_FALSE(r->metadata.tokens_used);
  EXPECT_FALSE(r->metadata.model);
  EXPECT_FALSE(r->metadata.latency_ms);
  f = decode_agent_frame(
      R"({"type":"reply","event_id":"ev_1","content":"x","done":true,"metadata":null})");
  EXPECT_TRUE(std::holds_alternative<agent_reply>(f));
  f = decode_agent_frame(
      R"({"type":"reply","event_id":"ev_1","content":"x","metadata":{"model":"m"}})");
  EXPECT_EQ(std::get<agent_reply>(f).metadata.model, "m");
  EXPECT_FALSE(std::get<agent_reply>(f).metadata.tokens_used);
  f = decode_agent_frame(R"({"type":"reply","event_id":"ev_1","content":"x","metadata":)"
                         R"({"tokens_used":null,"model":null,"latency_ms":12.6,"extra":1}})");
  r = std::get_if<agent_reply>(&f);
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->metadata.tokens_used);
  EXPECT_FALSE(r->metadata.model);
  EXPECT_EQ(r->metadata.latency_ms, 13) << "fractional measurements are rounded";

  f = decode_agent_frame(
      R"({"type":"error","event_id":"ev_1","error":"model overloaded","code":"AGENT_TIMEOUT"})");
  auto* e = std::get_if<agent_error>(&f);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->event_id, "ev_1");
  EXPECT_EQ(e->message, "model overloaded");
  EXPECT_EQ(e->code, "AGENT_TIMEOUT");

  EXPECT_TRUE(std::holds_alternative<agent_ping>(decode_agent_frame(R"({"type":"ping"})")));
  EXPECT_TRUE(std::holds_alternative<agent_pong>(decode_agent_frame(R"({"type":"pong"})")));
}

TEST(agent_codec, malformed_agent_frames_are_invalid_events) {
  for (const auto& c : std::vector<bad_case>{
           {"not json", invalid, "malformed JSON", ""},
           {"[]", invalid, "JSON object", ""},
           {"{}", invalid, "'type'", ""},
           // A frame without a known type is a frame error: event_id null, whatever it says.
           {R"({"type":false,"event_id":"ev_1"})", invalid, "'type'", ""},
           {R"({"type":"event","event_id":"ev_1"})", invalid, "unknown frame type 'event'", ""},
           {R"({"type":"discover"})", invalid, "discover", ""},
           // token
           {R"({"type":"token","token":"x"})", invalid, "missing field 'event_id'", ""},
           {R"({"type":"token","event_id":1,"token":"x"})", invalid,
            "field 'event_id' must be a string", ""},
           {R"({"type":"token","event_id":"","token":"x"})", invalid,
            "field 'event_id' must not be empty", ""},
           {R"({"type":"token","event_id":"ev_1"})", invalid, "missing field 'token'", "ev_1"},
           {R"({"type":"token","event_id":"ev_1","token":null})", invalid, "token", "ev_1"},
           {R"({"type":"token","event_id":"ev_1","token":["x"]})", invalid,
            "field 'token' must be a string", "ev_1"},
           // reply
           {R"({"type":"reply","content":"x"})", invalid, "missing field 'event_id'", ""},
           {R"({"type":"reply","event_id":"ev_1"})", invalid, "missing field 'content'", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":7})", invalid,
            "field 'content' must be a string", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","done":false})", invalid,
            "field 'done' must be true", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","done":"true"})", invalid, "done",
            "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","done":null})", invalid, "done",
            "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","done":1})", invalid, "done",
            "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","metadata":[]})", invalid,
            "field 'metadata' must be a JSON object", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","metadata":"m"})", invalid,
            "metadata", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","metadata":{"tokens_used":"5"}})",
            invalid, "field 'metadata.tokens_used' must be a number", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","metadata":{"tokens_used":-1}})",
            invalid, "metadata.tokens_used", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","metadata":{"latency_ms":-0.5}})",
            invalid, "metadata.latency_ms", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","metadata":{"latency_ms":1e30}})",
            invalid, "metadata.latency_ms", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x",)"
            R"("metadata":{"tokens_used":18446744073709551615}})",
            invalid, "metadata.tokens_used", "ev_1"},
           {R"({"type":"reply","event_id":"ev_1","content":"x","metadata":{"model":5}})", invalid,
            "field 'metadata.model' must be a string", "ev_1"},
           // error
           {R"({"type":"error","error":"e","code":"C"})", invalid, "missing field 'event_id'", ""},
           {R"({"type":"error","event_id":"ev_1","code":"C"})", invalid, "missing field 'error'",
            "ev_1"},
           {R"({"type":"error","event_id":"ev_1","error":1,"code":"C"})", invalid,
            "field 'error' must be a string", "ev_1"},
           {R"({"type":"error","event_id":"ev_1","error":"e"})", invalid, "missing field 'code'",
            "ev_1"},
           {R"({"type":"error","event_id":"ev_1","error":"e","code":""})", invalid,
            "field 'code' must not be empty", "ev_1"},
           {R"({"type":"error","event_id":"ev_1","error":"e","code":3})", invalid,
            "field 'code' must be a string", "ev_1"},
       })
    expect_bad_agent(c);
}

TEST(agent_codec, contract_codes_are_known) {
  for (auto c : {"AGENT_OFFLINE", "AGENT_NOT_ALLOWED", "AGENT_TIMEOUT", "PAYLOAD_TOO_LARGE",
                 "RATE_LIMITED", "INVALID_EVENT", "RELAY_INTERNAL_ERROR", "CANCELLED"})
    EXPECT_TRUE(is_contract_code(c)) << c;
  EXPECT_FALSE(is_contract_code(""));
  EXPECT_FALSE(is_contract_code("MODEL_OVERLOADED"));
  EXPECT_FALSE(is_contract_code("cancelled"));
}

TEST(agent_codec, truncated_frames_never_throw) {
  const std::string frames[] = {
      R"({"type":"event","agent_id":"a","thread_id":"t","payload":{"k":[1,{"x":"é😀"}]}})",
      R"({"type":"resume","event_id":"ev_1","after_seq":12})",
      R"({"type":"reply","event_id":"ev_1","content":"x","done":true,)"
      R"("metadata":{"tokens_used":1,"model":"m","latency_ms":2}})",
  };
  for (auto& text : frames)
    for (std::size_t n = 0; n <= text.size(); ++n) {
      EXPECT_NO_THROW(decode_app_frame(text.substr(0, n)));
      EXPECT_NO_THROW(decode_agent_frame(text.substr(0, n)));
    }
}

// -- relay -> app / agent ---------------------------------------------------------------

TEST(agent_codec, accepted_and_token_frames) {
  EXPECT_EQ(encode_accepted("ev_1", "yee", "sk_1"),
            R"({"type":"accepted","event_id":"ev_1","agent_id":"yee","session_key":"sk_1",)"
            R"("status":"accepted"})");
  auto t = parse(encode_app_token("ev_1", "yee", "Hel\"lo", 3));
  EXPECT_EQ(keys(t), (std::vector<std::string>{"type", "event_id", "agent_id", "token", "seq"}));
  EXPECT_EQ(t.at("type").as_string(), "token");
  EXPECT_EQ(t.at("event_id").as_string(), "ev_1");
  EXPECT_EQ(t.at("agent_id").as_string(), "yee");
  EXPECT_EQ(t.at("token").as_string(), "Hel\"lo");
  EXPECT_EQ(t.at("seq").as_int64(), 3);
  // Control characters, backslashes and non-ASCII text survive the hand-written encoder.
  std::string odd = "a\\b\n\t\x01 \xC3\xA9 \xE2\x9C\x93 </script>";
  auto u = parse(encode_app_token("ev_\"2", "a\\b", odd, 9007199254740993));
  EXPECT_EQ(u.at("token").as_string(), odd);
  EXPECT_EQ(u.at("event_id").as_string(), "ev_\"2");
  EXPECT_EQ(u.at("agent_id").as_string(), "a\\b");
  EXPECT_EQ(u.at("seq").as_int64(), 9007199254740993);
}

TEST(agent_codec, reply_frame_echoes_payload_and_metadata) {
  reply_metadata m{12, "m-1", 340, "sk_1"};
  auto r = parse(encode_reply("ev_1", "yee", "th_1", "Hello", R"({"x":{"y":[1,"é"]}})", m));
  EXPECT_EQ(keys(r), (std::vector<std::string>{"type", "event_id", "agent_id", "thread_id", "reply",
                                               "metadata", "payload"}));
  EXPECT_EQ(r.at("type").as_string(), "reply");
  EXPECT_EQ(r.at("event_id").as_string(), "ev_1");
  EXPECT_EQ(r.at("agent_id").as_string(), "yee");
  EXPECT_EQ(r.at("thread_id").as_string(), "th_1");
  EXPECT_EQ(r.at("reply").as_string(), "Hello");
  ASSERT_TRUE(r.at("payload").is_object()) << "the payload is an object, not a string";
  EXPECT_EQ(r.at("payload"), json::parse(R"({"x":{"y":[1,"é"]}})"));
  const auto& md = r.at("metadata").as_object();
  EXPECT_EQ(keys(md),
            (std::vector<std::string>{"tokens_used", "model", "latency_ms", "session_key"}));
  EXPECT_EQ(md.at("tokens_used").as_int64(), 12);
  EXPECT_EQ(md.at("model").as_string(), "m-1");
  EXPECT_EQ(md.at("latency_ms").as_int64(), 340);
  EXPECT_EQ(md.at("session_key").as_string(), "sk_1");

  // An unknown model is null; defaults are zero.
  auto d = parse(encode_reply("ev_1", "yee", "th_1", "", "{}", {}));
  EXPECT_TRUE(d.at("metadata").at("model").is_null());
  EXPECT_EQ(d.at("metadata").at("tokens_used").as_int64(), 0);
  EXPECT_EQ(d.at("metadata").at("latency_ms").as_int64(), 0);
  EXPECT_EQ(d.at("metadata").at("session_key").as_string(), "");
  EXPECT_EQ(d.at("payload"), json::object{});
  // A payload that is not an object cannot leak through as something else.
  EXPECT_EQ(parse(encode_reply("e", "a", "t", "", "not json", {})).at("payload"), json::object{});
  EXPECT_EQ(parse(encode_reply("e", "a", "t", "", "[1]", {})).at("payload"), json::object{});
}

TEST(agent_codec, error_frame_nulls_unknown_ids) {
  auto e = parse(encode_app_error("ev_1", "yee", "agent is offline", "AGENT_OFFLINE"));
  EXPECT_EQ(keys(e), (std::vector<std::string>{"type", "event_id", "agent_id", "error", "code"}));
  EXPECT_EQ(e.at("type").as_string(), "error");
  EXPECT_EQ(e.at("event_id").as_string(), "ev_1");
  EXPECT_EQ(e.at("agent_id").as_string(), "yee");
  EXPECT_EQ(e.at("error").as_string(), "agent is offline");
  EXPECT_EQ(e.at("code").as_string(), "AGENT_OFFLINE");
  EXPECT_EQ(encode_app_error("", "", "frame is not valid UTF-8", "INVALID_EVENT"),
            R"({"type":"error","event_id":null,"agent_id":null,)"
            R"("error":"frame is not valid UTF-8","code":"INVALID_EVENT"})");
  auto half = parse(encode_app_error("", "yee", "x", "RATE_LIMITED"));
  EXPECT_TRUE(half.at("event_id").is_null());
  EXPECT_EQ(half.at("agent_id").as_string(), "yee");
}

TEST(agent_codec, agents_list_and_heartbeats) {
  auto a = parse(encode_agents({{"yee", "Yee", "Says yee", true}, {"bot", "Bot", "", false}}));
  EXPECT_EQ(keys(a), (std::vector<std::string>{"type", "agents"}));
  EXPECT_EQ(a.at("type").as_string(), "agents");
  const auto& list = a.at("agents").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(keys(list[0].as_object()),
            (std::vector<std::string>{"agent_id", "name", "description", "status"}));
  EXPECT_EQ(list[0].at("agent_id").as_string(), "yee");
  EXPECT_EQ(list[0].at("name").as_string(), "Yee");
  EXPECT_EQ(list[0].at("description").as_string(), "Says yee");
  EXPECT_EQ(list[0].at("status").as_string(), "online");
  EXPECT_EQ(list[1].at("description").as_string(), "");
  EXPECT_EQ(list[1].at("status").as_string(), "offline");
  EXPECT_EQ(encode_agents({}), R"({"type":"agents","agents":[]})");

  EXPECT_EQ(encode_ping(), R"({"type":"ping"})");
  EXPECT_EQ(encode_pong(), R"({"type":"pong"})");
  EXPECT_EQ(parse(encode_ping()).at("type").as_string(), "ping");
  EXPECT_EQ(parse(encode_pong()).at("type").as_string(), "pong");
}

TEST(agent_codec, agent_event_and_cancel_frames) {
  auto e = parse(encode_agent_event("ev_1", "app_1", "th_1", "sk_1", R"({"q":"hi","n":[1,2]})"));
  EXPECT_EQ(keys(e), (std::vector<std::string>{"type", "event_id", "app_id", "thread_id",
                                               "session_key", "payload"}));
  EXPECT_EQ(e.at("type").as_string(), "event");
  EXPECT_EQ(e.at("event_id").as_string(), "ev_1");
  EXPECT_EQ(e.at("app_id").as_string(), "app_1");
  EXPECT_EQ(e.at("thread_id").as_string(), "th_1");
  EXPECT_EQ(e.at("session_key").as_string(), "sk_1");
  EXPECT_EQ(e.at("payload"), json::parse(R"({"q":"hi","n":[1,2]})"));
  EXPECT_EQ(encode_cancel("ev_1"), R"({"type":"cancel","event_id":"ev_1"})");
}
