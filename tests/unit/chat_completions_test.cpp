// The chat-completions codec of the built-in AI bot (protocol/chat_completions.hpp): the
// streamed answer read in every fragment size from whole to one byte, tool calls put
// together from their fragments, in-stream and HTTP failures as agent error codes, the
// request with the tools offered, the bounded per-thread context, and one mention answered
// through a tool call (protocol/bot_exchange.hpp).

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "protocol/bot_exchange.hpp"
#include "protocol/chat_completions.hpp"

namespace json = boost::json;
using namespace relay::llm;

namespace {

// What a llama.cpp / Ollama / OpenAI stream looks like: a comment, CRLF and LF lines,
// a role-only first chunk, content, then [DONE].
const std::string text_stream =
    ": keep-alive\r\n\r\n"
    "data: "
    "{\"model\":\"llama3\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo ✓\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

const std::string tool_stream =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\","
    "\"type\":\"function\",\"function\":{\"name\":\"send_message\",\"arguments\":\"\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
    "{\"arguments\":\"{\\\"room\\\":\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\","
    "\"function\":{\"name\":\"list_channels\",\"arguments\":\"{}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
    "{\"arguments\":\"\\\"lobby\\\"}\"}}]}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
    "data: [DONE]\n\n";

}  // namespace

TEST(chat_completions, a_text_stream_in_every_fragment_size) {
  for (std::size_t size = text_stream.size(); size >= 1; --size) {
    stream_reader r;
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < text_stream.size(); i += size)
      r.feed(std::string_view{text_stream}.substr(i, size), tokens);
    ASSERT_TRUE(r.done()) << size;
    EXPECT_FALSE(r.error()) << size;
    EXPECT_EQ(r.text(), "Hello ✓") << size;
    EXPECT_EQ(tokens, (std::vector<std::string>{"Hel", "lo ✓"})) << size;
    EXPECT_EQ(r.finish_reason(), "stop");
    EXPECT_EQ(r.model(), "llama3");
    EXPECT_TRUE(r.tool_calls().empty());
  }
}

TEST(chat_completions, tool_calls_are_put_together_from_fragments) {
  for (std::size_t size = tool_stream.size(); size >= 1; --size) {
    stream_reader r;
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < tool_stream.size(); i += size)
      r.feed(std::string_view{tool_stream}.substr(i, size), tokens);
    ASSERT_TRUE(r.done());
    auto calls = r.tool_calls();
    ASSERT_EQ(calls.size(), 2u) << size;
    EXPECT_EQ(calls[0].id, "call_a");
    EXPECT_EQ(calls[0].name, "send_message");
    EXPECT_EQ(json::parse(calls[0].arguments), json::parse(R"({"room":"lobby"})"));
    EXPECT_EQ(calls[1].name, "list_channels");
    EXPECT_EQ(r.finish_reason(), "tool_calls");
    EXPECT_TRUE(tokens.empty());
  }
}

TEST(chat_completions, failures_become_agent_error_codes) {
  stream_reader in_stream;
  std::vector<std::string> tokens;
  in_stream.feed("data: {\"error\":{\"message\":\"model 'x' not found\"}}\n\n", tokens);
  ASSERT_TRUE(in_stream.error());
  EXPECT_EQ(in_stream.error()->code, "MODEL_UNAVAILABLE");
  EXPECT_EQ(in_stream.error()->message, "model 'x' not found");

  stream_reader garbage;
  garbage.feed("data: {nope\n\n", tokens);
  EXPECT_EQ(garbage.error()->code, "MODEL_BAD_RESPONSE");

  stream_reader cut;
  cut.feed("data: {\"choices\":[{\"delta\":{\"content\":\"half\"}}]}\n\n", tokens);
  cut.close();
  EXPECT_EQ(cut.error()->code, "MODEL_BAD_RESPONSE");

  // A last event without its blank line, and a finish without [DONE], still end well.
  stream_reader unterminated;
  unterminated.feed(
      "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}", tokens);
  unterminated.close();
  EXPECT_TRUE(unterminated.done());
  EXPECT_FALSE(unterminated.error());
  EXPECT_EQ(unterminated.text(), "ok");

  EXPECT_EQ(classify(0, "").code, "MODEL_UNAVAILABLE");
  EXPECT_EQ(classify(401, R"({"error":{"message":"bad key"}})").code, "MODEL_AUTH_FAILED");
  EXPECT_EQ(classify(401, R"({"error":{"message":"bad key"}})").message, "bad key");
  EXPECT_EQ(classify(429, "slow down").code, "MODEL_RATE_LIMITED");
  EXPECT_EQ(classify(404, R"({"error":"model \"x\" not found"})").message, "model \"x\" not found");
  EXPECT_EQ(classify(404, "").code, "MODEL_BAD_REQUEST");
  EXPECT_EQ(classify(502, "bad gateway").code, "MODEL_UNAVAILABLE");
}

TEST(chat_completions, the_request_offers_the_tools_and_carries_tool_turns) {
  std::vector<turn> turns{{"system", "be brief", {}, {}},
                          {"user", "post hi", {}, {}},
                          {"assistant", "", {{"call_1", "send_message", R"({"room":"r"})"}}, {}},
                          {"tool", R"({"status":201})", {}, "call_1"}};
  auto body = json::parse(encode_request("llama3", turns, true)).as_object();
  EXPECT_EQ(body.at("model"), "llama3");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_GT(body.at("tools").as_array().size(), 10u);
  EXPECT_EQ(body.at("tools").as_array()[0].at("type"), "function");
  auto& m = body.at("messages").as_array();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_TRUE(m[2].at("content").is_null());
  EXPECT_EQ(m[2].at("tool_calls").as_array()[0].at("function").at("name"), "send_message");
  EXPECT_EQ(m[3].at("tool_call_id"), "call_1");
  EXPECT_FALSE(json::parse(encode_request("m", turns, false)).as_object().contains("tools"));
}

TEST(chat_completions, thread_context_is_bounded) {
  thread_context ctx(2, 3, 1000);
  for (int i = 0; i < 5; ++i) ctx.add("a", {"user", std::to_string(i), {}, {}});
  auto a = ctx.history("a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.front().content, "2");
  ctx.add("b", {"user", "b", {}, {}});
  ctx.add("c", {"user", "c", {}, {}});  // the least recently used, "a", goes
  EXPECT_TRUE(ctx.history("a").empty());
  EXPECT_EQ(ctx.history("b").size(), 1u);

  thread_context small(4, 3, 1000);
  small.add("t", {"assistant", "", {{"c1", "list_channels", "{}"}}, {}});
  small.add("t", {"tool", "{}", {}, "c1"});
  small.add("t", {"assistant", "done", {}, {}});
  small.add("t", {"user", "next", {}, {}});
  // The assistant call dropped out, so its tool answer goes with it.
  auto t = small.history("t");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.front().content, "done");

  thread_context chars(4, 100, 10);
  chars.add("t", {"user", "0123456789", {}, {}});
  chars.add("t", {"user", "abc", {}, {}});
  EXPECT_EQ(chars.history("t").size(), 1u);
}

// -- one mention answered (protocol/bot_exchange.hpp) ------------------------------------

namespace {

const std::string mention_frame =
    R"({"type":"event","event_id":"evt_1","app_id":"room:ops","thread_id":"ch_9",)"
    R"("session_key":"k","payload":{"event":"comment.mention","message":{"id":"msg_5",)"
    R"("content":"@relay-bot post hi in here","threadId":null},"room":{"id":"room_1",)"
    R"("slug":"ops","displayName":"Ops"},"channel":"ch_9","author":{"login":"alice"},)"
    R"("message_id":"msg_5"}})";

stream_reader answer(const std::string& sse) {
  stream_reader r;
  std::vector<std::string> tokens;
  r.feed(sse, tokens);
  r.close();
  return r;
}

}  // namespace

TEST(bot_exchange, a_mention_with_a_tool_call_then_a_reply) {
  thread_context ctx(8, 20, 20000);
  ctx.add("ops/ch_9", {"user", "@alice: earlier", {}, {}});
  auto x = bot_exchange::from_event(mention_frame, {.model = "llama3"}, ctx);
  ASSERT_TRUE(x);
  EXPECT_EQ(x->event_id(), "evt_1");
  EXPECT_EQ(x->thread_key(), "ops/ch_9");
  auto first = json::parse(x->request_body()).as_object();
  auto& msgs = first.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 3u);  // system, the earlier turn, the mention
  EXPECT_NE(std::string{msgs[0].at("content").as_string()}.find("channelId \"ch_9\""),
            std::string::npos);
  EXPECT_EQ(msgs[2].at("content"), "@alice: @relay-bot post hi in here");
  EXPECT_TRUE(first.contains("tools"));

  ASSERT_EQ(x->on_answer(answer(tool_stream)), bot_exchange::step::call_tools);
  ASSERT_EQ(x->pending_calls().size(), 2u);
  x->on_tool_result("call_a", 201, R"({"id":"msg_6"})");
  x->on_tool_result("call_b", 404, R"({"error":"no such room","code":"NOT_FOUND"})");
  EXPECT_TRUE(x->pending_calls().empty());
  auto second = json::parse(x->request_body()).as_object();
  auto& m2 = second.at("messages").as_array();
  ASSERT_EQ(m2.size(), 6u);
  EXPECT_EQ(m2[4].at("tool_call_id"), "call_a");
  EXPECT_EQ(m2[5].at("content"), R"(error, HTTP 404: {"error":"no such room","code":"NOT_FOUND"})");

  ASSERT_EQ(x->on_answer(answer(text_stream)), bot_exchange::step::reply);
  EXPECT_EQ(x->reply(), "Hello ✓");
  for (auto& t : x->context_turns()) ctx.add(x->thread_key(), t);
  EXPECT_EQ(ctx.history("ops/ch_9").size(), 3u);
}

TEST(bot_exchange, failures_and_limits) {
  thread_context ctx(8, 20, 20000);
  EXPECT_FALSE(bot_exchange::from_event(R"({"type":"cancel","event_id":"e"})", {}, ctx));
  EXPECT_FALSE(bot_exchange::from_event("nope", {}, ctx));

  auto x = bot_exchange::from_event(mention_frame, {.model = "m", .max_tool_rounds = 1}, ctx);
  ASSERT_EQ(x->on_answer(answer(tool_stream)), bot_exchange::step::call_tools);
  // Out of rounds: tools are no longer offered, and a model that calls one anyway fails.
  EXPECT_FALSE(json::parse(x->request_body()).as_object().contains("tools"));
  ASSERT_EQ(x->on_answer(answer(tool_stream)), bot_exchange::step::fail);
  EXPECT_EQ(x->why().code, "MODEL_BAD_RESPONSE");

  auto y = bot_exchange::from_event(mention_frame, {.model = "m"}, ctx);
  ASSERT_EQ(y->on_answer(answer("data: {\"error\":{\"message\":\"boom\"}}\n\n")),
            bot_exchange::step::fail);
  EXPECT_EQ(y->why().message, "boom");
}
