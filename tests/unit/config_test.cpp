// The option table is the single source of truth: these tests hold the example file,
// the precedence rules and the start-up errors to it.

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "config/options.hpp"

using namespace relay;

namespace {

load_result load(std::vector<std::string> args) {
  args.insert(args.begin(), "relay");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return load_config(static_cast<int>(argv.size()), argv.data());
}

std::string write_temp(const std::string& text) {
  char tmpl[] = "/tmp/relay-config-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  std::ofstream(tmpl) << text;
  return tmpl;
}

}  // namespace

TEST(config, defaults_match_the_documented_ones) {
  auto r = load({});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->listen_host, "127.0.0.1");
  EXPECT_EQ(r.cfg->listen_port, 8080);
  EXPECT_EQ(r.cfg->data_dir, "./var");
  EXPECT_EQ(r.cfg->max_frame_bytes, 65536);
  EXPECT_EQ(r.cfg->max_content_chars, 4000);
}

TEST(config, the_struct_takes_every_default_from_the_option_table) {
  // A config built field by field from the table's default texts, through the flags,
  // equals a default-constructed one: no field keeps a default of its own.
  std::vector<std::string> args;
  for (auto& o : options()) args.push_back(o.flag + "=" + o.default_value);
  auto r = load(args);
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(*r.cfg, config{});
  // And a value other than the default shows up as a difference (operator== sees it).
  config other;
  other.queues[3].policy = "disconnect";
  EXPECT_NE(other, config{});
}

TEST(config, example_file_states_the_table_defaults) {
  std::ifstream in(std::string(RELAY_SOURCE_DIR) + "/config/relay.example.toml");
  std::stringstream text;
  text << in.rdbuf();
  for (auto& o : options()) {
    const auto value = o.kind == "integer" ? o.default_value : "\"" + o.default_value + "\"";
    EXPECT_NE(text.str().find("\n" + o.name + " = " + value), std::string::npos)
        << o.name << " = " << value << " is not what config/relay.example.toml says";
  }
  auto r = load({"--config", std::string(RELAY_SOURCE_DIR) + "/config/relay.example.toml"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(*r.cfg, config{});
}

TEST(config, example_file_lists_every_option_and_loads_cleanly) {
  std::ifstream in(std::string(RELAY_SOURCE_DIR) + "/config/relay.example.toml");
  std::stringstream text;
  text << in.rdbuf();
  for (auto& o : options())
    EXPECT_NE(text.str().find("\n" + o.name + " = "), std::string::npos)
        << o.name << " is missing from config/relay.example.toml";
  auto r = load({"--config", std::string(RELAY_SOURCE_DIR) + "/config/relay.example.toml"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->listen_port, 8080);
}

TEST(config, flags_beat_environment_beat_file) {
  auto file = write_temp("data_dir = \"/from/file\"\nsync_messages = 5\nring_messages = 99\n");
  setenv("RELAY_SYNC_MESSAGES", "7", 1);
  auto r = load({"--config", file, "--ring-messages", "50"});
  unsetenv("RELAY_SYNC_MESSAGES");
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->data_dir, "/from/file");
  EXPECT_EQ(r.cfg->sync_messages, 7);
  EXPECT_EQ(r.cfg->ring_messages, 50);
}

// Presence TTL: 10..600 seconds; outside that the server does not start, whichever way
// the value came in.
TEST(config, presence_ttl_is_bounded) {
  auto r = load({});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->presence_ttl_seconds, 75);
  r = load({"--presence-ttl-seconds", "10"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->presence_ttl_seconds, 10);
  for (std::string bad : {"9", "601", "0", "-5", "soon"}) {
    r = load({"--presence-ttl-seconds", bad});
    EXPECT_FALSE(r.cfg) << bad;
    EXPECT_NE(r.error.find("'presence_ttl_seconds'"), std::string::npos) << r.error;
  }
  setenv("RELAY_PRESENCE_TTL_SECONDS", "700", 1);
  r = load({});
  unsetenv("RELAY_PRESENCE_TTL_SECONDS");
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("RELAY_PRESENCE_TTL_SECONDS"), std::string::npos) << r.error;
  r = load({"--config", write_temp("presence_ttl_seconds = 600\n")});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->presence_ttl_seconds, 600);
}

TEST(config, invalid_values_name_the_option) {
  auto r = load({"--listen", "nonsense"});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("'listen'"), std::string::npos) << r.error;
  r = load({"--sync-messages=1000"});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("'sync_messages'"), std::string::npos) << r.error;
  r = load({"--sqlite-synchronous", "sometimes"});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("'sqlite_synchronous'"), std::string::npos) << r.error;
  setenv("RELAY_IO_THREADS", "many", 1);
  r = load({});
  unsetenv("RELAY_IO_THREADS");
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("RELAY_IO_THREADS"), std::string::npos) << r.error;
  r = load({"--no-such-option", "1"});
  EXPECT_FALSE(r.cfg);
  auto file = write_temp("bogus = 1\n");
  r = load({"--config", file});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("bogus"), std::string::npos) << r.error;
}

TEST(config, characters_the_toml_parser_fails_on_are_refused_with_their_line) {
  // toml++ 3.3.0 reaches __builtin_unreachable on these (found by fuzz.config_toml):
  // after a syntax error, at the start of a line, in a comment.
  for (std::string text : {std::string("sync_messages = 9949'''9''=9\xC7\x85x\n"),
                           std::string("data_dir = \"/d\"\n\xC3\xA9 = 1\n"),
                           std::string("# caf\xC3\xA9\nsync_messages = 5\n")}) {
    auto r = load({"--config", write_temp(text)});
    EXPECT_FALSE(r.cfg) << text;
    EXPECT_NE(r.error.find("line "), std::string::npos) << r.error;
  }
  // Other non-ASCII text (an em dash, a CJK character, an emoji) still loads.
  auto r =
      load({"--config",
            write_temp("# \xE2\x80\x94 \xE6\x97\xA5\nsync_messages = 5 # \xF0\x9F\x98\x80\n")});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->sync_messages, 5);
}

TEST(config, a_float_or_other_toml_type_is_refused_as_not_a_string_or_integer) {
  // toml++ converted a float to int64 without a range check (undefined behaviour past
  // 2^63; found by fuzz.config_toml): a number option takes an integer, as documented.
  for (std::string text :
       {std::string("max_body_bytes = 9999999999999999990.99\n"),
        std::string("sync_messages = 5.0\n"), std::string("sync_messages = true\n"),
        std::string("sync_messages = [5]\n")}) {
    auto r = load({"--config", write_temp(text)});
    EXPECT_FALSE(r.cfg) << text;
    EXPECT_NE(r.error.find("must be a string or an integer"), std::string::npos) << r.error;
  }
  auto r = load({"--config", write_temp("sync_messages = 5\ndata_dir = \"/d\"\n")});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->sync_messages, 5);
}

TEST(config, per_class_queue_caps_are_zero_or_within_the_global_range) {
  // A cap below the global minimum would be accepted and then do nothing useful (an
  // empty queue takes any one frame): refuse it the same way as --out-queue-bytes.
  auto r = load({"--ws-queue-bytes", "1"});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("'ws_queue_bytes'"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("must be 0"), std::string::npos) << r.error;
  r = load({"--app-queue-frames", "15"});
  EXPECT_FALSE(r.cfg);
  r = load({"--out-queue-burst", "0"});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("'out_queue_burst'"), std::string::npos) << r.error;
  r = load({"--ws-queue-bytes", "0", "--sse-queue-bytes", "4096", "--app-queue-frames", "16",
            "--out-queue-burst", "1"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->queues[1].bytes, 4096);
  EXPECT_EQ(r.cfg->queues[3].frames, 16);
  EXPECT_EQ(r.cfg->out_queue_burst, 1);
}

TEST(config, archive_after_takes_a_duration_with_a_unit_of_at_least_a_second) {
  auto r = load({});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->archive_after_seconds, 90 * 86400);
  for (auto [text, seconds] : std::vector<std::pair<std::string, std::int64_t>>{
           {"1s", 1}, {"30m", 1800}, {"12h", 43200}, {"7d", 604800}}) {
    r = load({"--archive-after", text});
    ASSERT_TRUE(r.cfg) << text << ": " << r.error;
    EXPECT_EQ(r.cfg->archive_after_seconds, seconds) << text;
  }
  for (auto bad : {"0s", "90", "d", "", "+1d", "1.5h", "1w", "99999999999999d"}) {
    r = load({"--archive-after", bad});
    EXPECT_FALSE(r.cfg) << bad;
    EXPECT_NE(r.error.find("'archive_after'"), std::string::npos) << r.error;
  }
}

TEST(config, store_urls_must_name_their_engine) {
  auto r = load({"--redis-url", "redis://127.0.0.1:6379", "--postgres-url",
                 "postgresql://relay@127.0.0.1:5432/relay"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->redis_url, "redis://127.0.0.1:6379");
  r = load({"--redis-url", "http://127.0.0.1:6379"});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("'redis_url'"), std::string::npos) << r.error;
  r = load({"--postgres-url", "mysql://x"});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("'postgres_url'"), std::string::npos) << r.error;
}

TEST(config, avatar_hosts_are_origins_that_cannot_widen_the_csp) {
  // The default lets GitHub users' avatars load (the common OAuth case).
  auto r = load({});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->avatar_hosts, "https://avatars.githubusercontent.com");
  r = load({"--avatar-hosts", " https://a.example ,http://b.example:8443,"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->avatar_hosts, "https://a.example,http://b.example:8443");
  r = load({"--avatar-hosts="});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->avatar_hosts, "");
  // Each of these would put more than one origin into img-src, or end the directive.
  for (auto bad : {"*", "https://*.example", "https:", "https://a.example/", "'self'",
                   "https://a.example; script-src *", "https://u@a.example", "data:", "https://",
                   "https://a.example:", "https://a.example:80a", "ftp://a.example"}) {
    r = load({"--avatar-hosts", std::string("https://ok.example,") + bad});
    EXPECT_FALSE(r.cfg) << bad;
    EXPECT_NE(r.error.find("'avatar_hosts'"), std::string::npos) << r.error;
  }
}

TEST(config, operator_words_and_their_options_are_kept_apart) {
  auto r = load({"--data-dir", "/d", "user", "add", "alice", "--name", "Alice A"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->data_dir, "/d");
  EXPECT_EQ(r.cmd.words, (std::vector<std::string>{"user", "add", "alice"}));
  ASSERT_EQ(r.cmd.sub_options.size(), 1u);
  EXPECT_EQ(r.cmd.sub_options[0].second, "Alice A");
}

TEST(config, help_lists_every_flag_and_env_var) {
  auto h = help_text();
  for (auto& o : options()) {
    EXPECT_NE(h.find(o.flag), std::string::npos) << o.flag;
    EXPECT_NE(h.find(o.env), std::string::npos) << o.env;
  }
}

// -- the command line (CLI11) ------------------------------------------------------------

TEST(config, each_command_has_its_own_options_and_relay_options_may_follow_it) {
  auto r = load({"token", "create", "alice", "--name=ci", "--data-dir", "/d"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->data_dir, "/d");
  EXPECT_EQ(r.cmd.words, (std::vector<std::string>{"token", "create", "alice"}));
  ASSERT_EQ(r.cmd.sub_options.size(), 1u);
  EXPECT_EQ(r.cmd.sub_options[0], (std::pair<std::string, std::string>{"name", "ci"}));

  r = load({"hallkey", "create", "--plan", "growth", "--test"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cmd.words, (std::vector<std::string>{"hallkey", "create"}));
  EXPECT_EQ(r.cmd.sub_options, (std::vector<std::pair<std::string, std::string>>{
                                   {"plan", "growth"}, {"test", "true"}}));

  r = load({"store", "copy-to-postgres", "postgresql://relay@db/relay", "--data-dir", "/d"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cmd.words,
            (std::vector<std::string>{"store", "copy-to-postgres", "postgresql://relay@db/relay"}));
  const auto no_target = load({"store", "copy-to-postgres"}).error;
  EXPECT_NE(no_target.find("POSTGRES_URL is required"), std::string::npos) << no_target;

  // Another command's option, or an option no command has, is refused with its name.
  r = load({"user", "add", "alice", "--plan", "starter"});
  EXPECT_FALSE(r.cfg);
  EXPECT_NE(r.error.find("unknown option --plan"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("relay user add --help"), std::string::npos) << r.error;
}

TEST(config, a_command_without_what_it_needs_is_refused_with_a_pointer_to_its_help) {
  for (std::vector<std::string> args : {std::vector<std::string>{"user", "add"},
                                        {"user"},
                                        {"hallkey", "create"},
                                        {"hallkey", "create", "--plan", "gold"},
                                        {"user", "add", "alice", "bob"},
                                        {"frobnicate"},
                                        {"--no-such-option", "1"},
                                        {"--sync-messages"}}) {
    auto r = load(args);
    EXPECT_FALSE(r.cfg) << args.front();
    EXPECT_NE(r.error.find("--help)"), std::string::npos) << r.error;
  }
  EXPECT_NE(load({"frobnicate"}).error.find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_NE(load({"--sync-messages"}).error.find("option --sync-messages needs a value"),
            std::string::npos);
  EXPECT_NE(load({"user", "add"}).error.find("LOGIN is required"), std::string::npos);
}

TEST(config, an_empty_value_after_the_equals_sign_is_the_empty_value) {
  auto file = write_temp("public_url = \"https://chat.example.com\"\n");
  auto r = load({"--config", file, "--public-url=", "--sync-messages", "5"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->public_url, "");
  EXPECT_EQ(r.cfg->sync_messages, 5);
  r = load({"--sync-messages", "5", "--sync-messages=6"});  // the last one counts
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_EQ(r.cfg->sync_messages, 6);
}

TEST(config, help_is_the_help_of_the_command_asked_about) {
  auto r = load({"--help"});
  ASSERT_TRUE(r.cmd.help);
  EXPECT_EQ(r.cmd.usage, help_text());
  EXPECT_NE(r.cmd.usage.find("relay [OPTIONS] hallkey create --plan starter|growth [--test]"),
            std::string::npos)
      << r.cmd.usage;
  r = load({"--data-dir", "/d", "user", "add", "-h"});
  ASSERT_TRUE(r.cmd.help);
  EXPECT_NE(r.cmd.usage.find("Usage: relay user add [OPTIONS] LOGIN"), std::string::npos)
      << r.cmd.usage;
  EXPECT_NE(r.cmd.usage.find("--email EMAIL"), std::string::npos) << r.cmd.usage;
  EXPECT_EQ(r.cmd.usage.find("--sync-messages"), std::string::npos) << r.cmd.usage;
  r = load({"--version"});
  ASSERT_TRUE(r.cfg) << r.error;
  EXPECT_TRUE(r.cmd.version);
}
