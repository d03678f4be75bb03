// The payloads of incoming webhooks (protocol/incoming_hook_codec.hpp): Relay's and
// Slack's bodies, Slack's legacy form, rich messages reduced to text, GitHub summaries,
// and every bad input refused rather than guessed at.

#include <gtest/gtest.h>

#include "protocol/incoming_hook_codec.hpp"

using namespace relay;
using namespace relay::codec;

namespace {

hook_post post_of(std::string_view body, std::string_view type = "application/json") {
  auto r = decode_hook_post(body, type);
  if (auto* e = std::get_if<error_info>(&r)) ADD_FAILURE() << body << ": " << e->message;
  return std::get_if<hook_post>(&r) ? std::get<hook_post>(r) : hook_post{};
}

errc error_of(std::string_view body, std::string_view type = "application/json") {
  auto r = decode_hook_post(body, type);
  auto* e = std::get_if<error_info>(&r);
  return e ? e->code : errc::none;
}

std::string summary(std::string_view event, std::string_view body) {
  auto r = summarize_github_event(event, body);
  if (auto* e = std::get_if<error_info>(&r)) ADD_FAILURE() << e->message;
  auto* s = std::get_if<std::optional<std::string>>(&r);
  return s && *s ? **s : std::string{"<none>"};
}

}  // namespace

TEST(IncomingHookCodec, RelayAndSlackBodies) {
  EXPECT_EQ(post_of(R"({"content":"hi","username":"ci"})").content, "hi");
  EXPECT_EQ(post_of(R"({"content":"hi","username":"ci"})").username, "ci");
  EXPECT_EQ(post_of(R"({"text":"slack"})").content, "slack");
  // content wins over text; a blank content falls back to text.
  EXPECT_EQ(post_of(R"({"content":"a","text":"b"})").content, "a");
  EXPECT_EQ(post_of(R"({"content":"  ","text":"b"})").content, "b");
  EXPECT_EQ(post_of(R"({"text":null,"username":null})").content, "");
  EXPECT_EQ(
      post_of(R"({"attachments":[{"fallback":"F1","text":"T1"},{"pretext":"P","text":"T2"}]})")
          .content,
      "F1\nP\nT2");
  EXPECT_EQ(post_of(R"({"blocks":[{"type":"header","text":{"type":"plain_text","text":"H"}},)"
                    R"({"type":"section","fields":[{"type":"mrkdwn","text":"f1"}]},)"
                    R"({"type":"context","elements":[{"type":"mrkdwn","text":"c1"}]}]})")
                .content,
            "H\nf1\nc1");
}

TEST(IncomingHookCodec, LegacyForm) {
  const auto form = "application/x-www-form-urlencoded";
  EXPECT_EQ(post_of("payload=%7B%22text%22%3A%22a+b%26c%22%7D", form).content, "a b&c");
  EXPECT_EQ(post_of("x=1&payload=%7B%22text%22%3A%22second%22%7D", form).content, "second");
  EXPECT_EQ(post_of(R"(  {"text":"curl -d"})", "Application/X-WWW-Form-Urlencoded; charset=utf-8")
                .content,
            "curl -d");
  EXPECT_EQ(error_of("text=hi", form), errc::bad_request);
  EXPECT_EQ(error_of("payload=%7", form), errc::bad_request);
  EXPECT_EQ(error_of("payload=%zz", form), errc::bad_request);
  EXPECT_EQ(error_of("payload=not-json", form), errc::bad_request);
}

TEST(IncomingHookCodec, BadBodies) {
  EXPECT_EQ(error_of(R"({"text": )"), errc::bad_request);
  EXPECT_EQ(error_of("[1]"), errc::bad_request);
  EXPECT_EQ(error_of(R"({"text": 5})"), errc::bad_request);
  EXPECT_EQ(error_of(R"({"username": []})"), errc::bad_request);
  EXPECT_EQ(error_of("\xff"), errc::invalid_utf8);
}

TEST(IncomingHookCodec, CreateBody) {
  auto ok = decode_hook_create(R"({"channelId":"ch_1","name":" CI ","githubSecret":"s"})");
  ASSERT_TRUE(std::holds_alternative<hook_create_body>(ok));
  EXPECT_EQ(std::get<hook_create_body>(ok).name, "CI");
  EXPECT_EQ(std::get<hook_create_body>(ok).channel_id, "ch_1");
  auto lobby = decode_hook_create(R"({"channelId":"__lobby","name":"x"})");
  EXPECT_EQ(std::get<hook_create_body>(lobby).channel_id, "");
  EXPECT_TRUE(std::holds_alternative<error_info>(decode_hook_create(R"({"channelId":null})")));
  EXPECT_TRUE(std::holds_alternative<error_info>(decode_hook_create(R"({"name":"   "})")));
  EXPECT_TRUE(
      std::holds_alternative<error_info>(decode_hook_create(R"({"name":"x","githubSecret":1})")));
}

TEST(IncomingHookCodec, ClipKeepsWholeCharacters) {
  EXPECT_EQ(clip_chars("abc", 3), "abc");
  EXPECT_EQ(clip_chars("abcd", 3), "ab…");
  EXPECT_EQ(clip_chars("ééé", 3), "ééé");
  EXPECT_EQ(clip_chars("éééé", 3), "éé…");
  EXPECT_EQ(clip_chars("abc", 0), "");
}

TEST(IncomingHookCodec, GithubSummaries) {
  const std::string repo = R"("repository":{"full_name":"o/r"},"sender":{"login":"eve"})";
  EXPECT_EQ(summary("ping", "{" + repo + "}"), "<none>");
  EXPECT_EQ(summary("star", "{" + repo + "}"), "<none>");
  EXPECT_EQ(summary("push", R"({"ref":"refs/heads/main","compare":"https://c","commits":[)"
                            R"({"id":"0123456789","message":"one\ntwo","url":"https://u",)"
                            R"("author":{"name":"Mo"}}],"pusher":{"name":"mo"},)" +
                                repo + "}"),
            "**mo** pushed 1 commit to `main` of **o/r** ([compare](https://c))\n"
            "• [0123456](https://u) one — Mo");
  EXPECT_EQ(summary("push", R"({"ref":"refs/tags/v1","created":true,"commits":[],)" + repo + "}"),
            "**eve** created tag `v1` of **o/r**");
  EXPECT_EQ(summary("push", R"({"ref":"refs/heads/x","deleted":true,)" + repo + "}"),
            "**eve** deleted branch `x` of **o/r**");
  EXPECT_EQ(summary("pull_request", R"({"action":"closed","pull_request":{"number":3,)"
                                    R"("title":"T [x]","html_url":"https://p","merged":true},)" +
                                        repo + "}"),
            "**eve** merged pull request [#3 T (x)](https://p) in **o/r**");
  EXPECT_EQ(summary("pull_request", R"({"action":"labeled","pull_request":{"number":3}})"),
            "<none>");
  EXPECT_EQ(summary("issues", R"({"action":"opened","issue":{"number":9,"title":"Bug",)"
                              R"("html_url":"https://i"},)" +
                                  repo + "}"),
            "**eve** opened issue [#9 Bug](https://i) in **o/r**");
  EXPECT_EQ(summary("release", R"({"action":"published","release":{"tag_name":"v2","name":"Two",)"
                               R"("html_url":"https://r"},)" +
                                   repo + "}"),
            "**eve** published release [Two (v2)](https://r) in **o/r**");
  EXPECT_EQ(summary("workflow_run", R"({"action":"completed","workflow_run":{"name":"CI",)"
                                    R"("conclusion":"failure","head_branch":"main",)"
                                    R"("html_url":"https://w","run_number":7},)" +
                                        repo + "}"),
            "❌ Workflow **CI** **failure** on `main` in **o/r** ([run #7](https://w))");
  EXPECT_EQ(summary("workflow_run", R"({"action":"requested","workflow_run":{"name":"CI"}})"),
            "<none>");
  EXPECT_TRUE(std::holds_alternative<error_info>(summarize_github_event("push", "{nope")));
}
