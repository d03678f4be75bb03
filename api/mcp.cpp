// The Model Context Protocol at `/mcp` (docs/api.md, "Tools and MCP"): the streamable
// HTTP transport without server-initiated streams. Each POST carries one JSON-RPC message
// (or a batch) and gets its answers as one `application/json` body, or 202 when it held
// only notifications and responses. Stateless: no session id, since every call carries
// its API token and nothing is kept between requests. The tools are those of
// `GET /api/tools`, run through api/tool_runner.hpp as the token's user.

#include <memory>
#include <optional>
#include <vector>

#include "api/handlers.hpp"
#include "api/tool_runner.hpp"
#include "protocol/mcp_codec.hpp"

namespace relay::api {

namespace {

namespace json = boost::json;

// Each tool call of a batch is a REST request of its own: a cap keeps one POST from
// becoming hundreds of them.
constexpr std::size_t max_batch = 16;

using answer_fn = std::function<void(std::optional<json::value>)>;

void call(self_ptr self, const exchange_ptr& x, const mcp::rpc_message& m, answer_fn next) {
  auto* p = m.params.if_object();
  if (!p) return next(mcp::error(m.id, mcp::invalid_params, "params must be an object"));
  auto* name = p->if_contains("name");
  if (!name || !name->is_string())
    return next(mcp::error(m.id, mcp::invalid_params, "params.name: required"));
  auto* t = tools::find(name->get_string());
  if (!t)
    return next(
        mcp::error(m.id, mcp::invalid_params, "unknown tool: " + std::string{name->get_string()}));
  json::value args = nullptr;
  if (auto* a = p->if_contains("arguments")) args = *a;
  // A bad argument is the model's to fix: a tool error it can read, not a protocol error.
  if (auto e = tools::validate(*t, args))
    return next(mcp::result(m.id, mcp::call_result(*e, true)));
  if (args.is_null()) args = json::object{};
  run_tool(self, x, *t, std::move(args.get_object()), [id = m.id, next](rest_answer a) {
    if (a.ok())
      return next(mcp::result(id, mcp::call_result(a.body.empty() ? "null" : a.body, false)));
    auto text = "HTTP " + std::to_string(a.status) + ": " + a.body;
    next(mcp::result(id, mcp::call_result(text, true)));
  });
}

// Answers one message through `next`: a JSON-RPC answer, or nothing for notifications
// and the client's responses.
void handle(self_ptr self, const exchange_ptr& x, const json::value& v, answer_fn next) {
  auto m = mcp::read_message(v);
  using kind = mcp::rpc_message::kind;
  switch (m.what) {
    case kind::invalid:
      return next(mcp::error(m.id, mcp::invalid_request, m.problem));
    case kind::response:
    case kind::notification:
      return next(std::nullopt);  // notifications/initialized, cancelled, …: nothing to do
    case kind::request:
      break;
  }
  if (m.method == "initialize") {
    std::string_view asked;
    if (auto* p = m.params.if_object())
      if (auto* pv = p->if_contains("protocolVersion"); pv && pv->is_string())
        asked = pv->get_string();
    return next(mcp::result(m.id, mcp::initialize_result(mcp::negotiate_version(asked))));
  }
  if (m.method == "ping") return next(mcp::result(m.id, json::object{}));
  if (m.method == "tools/list")
    return next(mcp::result(m.id, json::object{{"tools", tools::mcp_tools()}}));
  if (m.method == "tools/call") return call(self, x, m, std::move(next));
  next(mcp::error(m.id, mcp::method_not_found, "method not found: " + m.method));
}

void send(self_ptr self, const exchange_ptr& x, std::optional<json::value> body) {
  if (!body) return ok(self, x, "", 202);
  ok(self, x, json::serialize(*body));
}

// A batch's messages one after another (a tool call waits for its REST answer), then
// their answers as one array.
void handle_batch(self_ptr self, exchange_ptr x, std::shared_ptr<json::array> batch, std::size_t i,
                  std::shared_ptr<json::array> answers) {
  if (i == batch->size())
    return send(self, x,
                answers->empty() ? std::nullopt : std::optional<json::value>{std::move(*answers)});
  handle(self, x, (*batch)[i], [self, x, batch, i, answers](std::optional<json::value> a) {
    if (a) answers->push_back(std::move(*a));
    handle_batch(self, x, batch, i + 1, answers);
  });
}

}  // namespace

void serve_mcp(self_ptr self, exchange_ptr x, const caller&) {
  json::error_code ec;
  auto v = json::parse(x->req.body, ec);
  if (ec)
    return ok(self, x, json::serialize(mcp::error(nullptr, mcp::parse_error, "parse error")), 400);
  if (auto* a = v.if_array()) {
    if (a->empty() || a->size() > max_batch) {
      auto why = "a batch holds 1 to " + std::to_string(max_batch) + " messages";
      return ok(self, x, json::serialize(mcp::error(nullptr, mcp::invalid_request, why)), 400);
    }
    return handle_batch(self, x, std::make_shared<json::array>(std::move(*a)), 0,
                        std::make_shared<json::array>());
  }
  handle(self, x, v, [self, x](std::optional<json::value> a) { send(self, x, std::move(a)); });
}

}  // namespace relay::api
