#pragma once

// JSON-RPC 2.0 as the Model Context Protocol uses it over streamable HTTP
// (docs/api.md, "Tools and MCP"): reading one message, and the answers Relay gives.
// api/mcp.cpp does the I/O and runs the tools.

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace relay::mcp {

// JSON-RPC 2.0's error codes.
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;

/// One message of a POST body, classified.
struct rpc_message {
  enum class kind { request, notification, response, invalid } what = kind::invalid;
  boost::json::value id;  ///< a request's id (string or number); null otherwise
  std::string method;
  boost::json::value params;  ///< null when absent
  std::string problem;        ///< why it is invalid
};

rpc_message read_message(const boost::json::value& v);

/// `{jsonrpc, id, result}`.
boost::json::object result(const boost::json::value& id, boost::json::value r);
/// `{jsonrpc, id, error: {code, message}}`.
boost::json::object error(const boost::json::value& id, int code, std::string_view message);

/// The protocol version Relay answers `initialize` with: the client's when Relay speaks
/// it, else the newest Relay speaks (the client then decides whether to go on).
std::string_view negotiate_version(std::string_view requested);

/// The `initialize` result: version, `capabilities: {tools: {}}`, `serverInfo`.
boost::json::object initialize_result(std::string_view version);

/// A `tools/call` result: the REST answer's JSON as text (and as `structuredContent`
/// when it is an object); `is_error` marks a refused or invalid call the model may fix.
boost::json::object call_result(std::string_view text, bool is_error);

}  // namespace relay::mcp
