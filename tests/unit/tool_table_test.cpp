// The tool table and the MCP codec (protocol/tool_table.hpp, protocol/mcp_codec.hpp): every
// tool's route exists in the route table's shape, arguments are checked field by field, a
// call becomes exactly its REST request, and JSON-RPC messages are classified.

#include <gtest/gtest.h>

#include <set>

#include "protocol/mcp_codec.hpp"
#include "protocol/tool_table.hpp"

namespace json = boost::json;
using namespace relay;

namespace {

std::optional<std::string> check(std::string_view tool, std::string_view args) {
  return tools::validate(*tools::find(tool), json::parse(args));
}

}  // namespace

TEST(tool_table, every_tool_has_a_unique_name_a_description_and_described_arguments) {
  std::set<std::string_view> names;
  for (auto& t : tools::all()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_GT(t.description.size(), 20u) << t.name;
    for (auto& a : t.args) EXPECT_GT(a.description.size(), 5u) << t.name << "." << a.name;
    auto s = tools::parameters_schema(t);
    EXPECT_EQ(s.at("additionalProperties"), false);
    EXPECT_TRUE(s.at("required").is_array());
  }
  EXPECT_EQ(tools::find("nope"), nullptr);
}

TEST(tool_table, validation_names_the_field) {
  EXPECT_EQ(check("send_message", R"({"room":"lobby","content":"hi"})"), std::nullopt);
  EXPECT_EQ(check("send_message", R"({"room":"lobby"})"), "arguments.content: required");
  EXPECT_EQ(check("send_message", R"({"room":"lobby","content":"hi","x":1})"),
            "arguments.x: not a parameter of send_message");
  EXPECT_EQ(check("send_message", R"({"room":"lobby","content":7})"),
            "arguments.content: must be a string");
  EXPECT_EQ(check("send_message", R"({"room":"","content":"hi"})"),
            "arguments.room: must not be empty");
  EXPECT_EQ(check("read_history", R"({"room":"lobby","limit":101})"),
            "arguments.limit: must be from 1 to 100");
  EXPECT_EQ(check("read_history", R"({"room":"lobby","limit":5.0})"), std::nullopt);
  EXPECT_EQ(check("read_history", R"({"room":"lobby","limit":5.5})"),
            "arguments.limit: must be an integer");
  EXPECT_EQ(check("list_notifications", R"({"state":"gone"})"),
            "arguments.state: must be one of unread, read, archived");
  EXPECT_EQ(check("list_notifications", "null"), std::nullopt);
  EXPECT_EQ(check("list_notifications", "[]"), "arguments: must be an object");
  EXPECT_EQ(check("open_dm", R"({"room":"a","logins":["b",3]})"),
            "arguments.logins: must be an array of non-empty strings");
}

TEST(tool_table, a_call_becomes_its_rest_request) {
  auto args = json::parse(R"({"room":"a/b","messageId":"m1","emoji":"👍"})").as_object();
  auto c = tools::build(*tools::find("add_reaction"), args);
  EXPECT_EQ(c.method, "PUT");
  // A value is one segment whatever it holds: it cannot reach another route.
  EXPECT_EQ(c.path,
            (std::vector<std::string>{"api", "rooms", "a/b", "messages", "m1", "reactions", "👍"}));
  EXPECT_EQ(c.body, "{}");

  args = json::parse(R"({"room":"r","limit":5,"channelId":"c"})").as_object();
  c = tools::build(*tools::find("read_history"), args);
  EXPECT_EQ(c.method, "GET");
  EXPECT_EQ(c.body, "");
  EXPECT_EQ(c.query.find("limit")->second, "5");
  EXPECT_EQ(c.query.find("channelId")->second, "c");

  args = json::parse(R"({"room":"r","messageId":"m","content":"hi"})").as_object();
  auto& reply = *tools::find("reply_in_thread");
  auto first = tools::build(reply, args, true);
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.path, (std::vector<std::string>{"api", "rooms", "r", "messages", "m", "thread"}));
  EXPECT_EQ(first.body, "");
  auto second = tools::build(reply, args, false, "thr_1");
  EXPECT_EQ(second.path, (std::vector<std::string>{"api", "threads", "thr_1", "replies"}));
  EXPECT_EQ(json::parse(second.body), json::parse(R"({"content":"hi"})"));
}

TEST(mcp_codec, messages_are_classified) {
  using kind = mcp::rpc_message::kind;
  auto m = mcp::read_message(json::parse(R"({"jsonrpc":"2.0","id":1,"method":"ping"})"));
  EXPECT_EQ(m.what, kind::request);
  EXPECT_EQ(m.id, 1);
  EXPECT_EQ(mcp::read_message(json::parse(R"({"jsonrpc":"2.0","method":"n"})")).what,
            kind::notification);
  EXPECT_EQ(mcp::read_message(json::parse(R"({"jsonrpc":"2.0","id":"a","result":{}})")).what,
            kind::response);
  EXPECT_EQ(mcp::read_message(json::parse(R"({"id":1,"method":"ping"})")).what, kind::invalid);
  EXPECT_EQ(mcp::read_message(json::parse(R"({"jsonrpc":"2.0","id":{},"method":"p"})")).what,
            kind::invalid);
  EXPECT_EQ(mcp::read_message(json::parse("[1]")).what, kind::invalid);
  EXPECT_EQ(mcp::negotiate_version("2025-06-18"), "2025-06-18");
  EXPECT_EQ(mcp::negotiate_version("1999-01-01"), "2025-11-25");
}
