#pragma once

// The REST API as tools for language models (docs/api.md, "Tools and MCP"): each tool is
// one REST route with a JSON Schema for its arguments and the rule that turns validated
// arguments into that route's method, path, query and body. No I/O here: api/tools.cpp
// runs the call through the same dispatcher as any REST request, so a tool can never
// reach what its REST route would refuse.

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relay::tools {

// -- what a tool is ----------------------------------------------------------------

enum class arg_type : unsigned char { string, integer, boolean, string_list };

/// Where an argument goes in the REST request.
enum class arg_place : unsigned char { path, query, body };

struct tool_arg {
  std::string_view name;  ///< as the model sends it
  arg_type type;
  arg_place place;
  std::string_view rest_name;  ///< the `:name` path segment, query key or body field
  bool required;
  std::string_view description;
  std::span<const std::string_view> choices = {};  ///< an `enum`, when not empty
  std::int64_t min = 0;                            ///< integer bounds, when max > min
  std::int64_t max = 0;
};

struct tool_def {
  std::string_view name;
  std::string_view description;
  std::string_view method;  ///< "GET", "POST", …
  std::string_view path;    ///< a route template of api/routes.cpp
  std::span<const tool_arg> args;
  bool read_only = false;    ///< changes nothing (MCP `readOnlyHint`)
  bool destructive = false;  ///< removes something (MCP `destructiveHint`)
  // A tool whose route needs an id the API hands out first: POST `first_path` (same path
  // arguments, no body), then fill the segment `:<first_yields>` of `path` with that
  // answer's `first_yields` field. reply_in_thread takes a message id this way.
  std::string_view first_path = {};
  std::string_view first_yields = {};
};

/// Every tool, in the order `GET /api/tools` lists them.
std::span<const tool_def> all();

/// The tool called `name`, or null.
const tool_def* find(std::string_view name);

// -- schemas -------------------------------------------------------------------------

/// The tool's arguments as a JSON Schema (`type: object`, `properties`, `required`,
/// `additionalProperties: false`).
boost::json::object parameters_schema(const tool_def& t);

/// `[{type: "function", function: {name, description, parameters}}, …]` (OpenAI).
std::string encode_openai_tools();

/// `[{name, description, inputSchema, annotations}, …]` (MCP `tools/list`).
boost::json::array mcp_tools();

// -- calls ---------------------------------------------------------------------------

/// One REST request a tool call becomes; path segments are already decoded values.
struct rest_call {
  std::string method;
  std::vector<std::string> path;
  std::multimap<std::string, std::string> query;
  std::string body;  ///< a JSON object, or empty
};

/// Checks `arguments` (null counts as `{}`) against the tool's schema; on failure the
/// message names the field: `arguments.content: required`.
std::optional<std::string> validate(const tool_def& t, const boost::json::value& arguments);

/// The tool's REST request for arguments `validate` accepted: its route, or with
/// `first_step` the POST to `first_path`; `yielded` fills the segment `first_yields` names.
rest_call build(const tool_def& t, const boost::json::object& arguments, bool first_step = false,
                const std::string& yielded = {});

}  // namespace relay::tools
