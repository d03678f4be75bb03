// The API as tools (docs/api.md, "Tools and MCP"): the schemas, one call as the caller,
// and the machinery both this and MCP (api/mcp.cpp) run calls with.

#include "api/handlers.hpp"
#include "api/tool_runner.hpp"
#include "protocol/json_detail.hpp"

namespace relay::api {

namespace {

namespace json = boost::json;

using tool_reply_atom = caf::atom_constant<caf::atom("toolreply")>;

// Catches the inner request's answer and hands it to the waiting actor as a message, so
// the answer is handled on that actor like any reply.
class captured_response final : public http_responder {
 public:
  explicit captured_response(caf::actor to) : to_(std::move(to)) {}

  void respond(int status, std::string body, header_list) override {
    caf::anon_send(to_, tool_reply_atom::value, status, std::move(body));
  }

  // Tools map to plain REST routes only; a stream here is a bug in the tool table.
  void stream(room_actor, principal, std::map<std::string, std::int64_t>, std::string) override {
    respond(500, codec::encode_error_body({errc::internal, "a tool cannot open a stream"}), {});
  }

  void upgrade(relay_socket, std::function<caf::actor(sink_ptr)>) override {
    respond(500, codec::encode_error_body({errc::internal, "a tool cannot open a socket"}), {});
  }

 private:
  caf::actor to_;
};

// The inner request carries the outer one's credentials and Origin, so it is signed in,
// and refused, exactly as the caller would be calling the route directly.
http_request inner_request(const http_request& outer, tools::rest_call call) {
  http_request r;
  r.method = std::move(call.method);
  r.path = std::move(call.path);
  r.query = std::move(call.query);
  r.body = std::move(call.body);
  r.bearer = outer.bearer;
  r.authorization = outer.authorization;
  r.session = outer.session;
  r.origin = outer.origin;
  r.proxied = outer.proxied;
  if (!r.body.empty()) r.content_type = "application/json";
  return r;
}

void run_rest(self_ptr self, const exchange_ptr& x, tools::rest_call call,
              std::function<void(rest_answer)> done) {
  auto me = caf::actor_cast<caf::actor>(self);
  spawn_api_request(self->system(), x->ctx, inner_request(x->req, std::move(call)),
                    std::make_shared<captured_response>(me));
  self->become(
      [done](tool_reply_atom, int status, std::string& body) {
        done(rest_answer{status, std::move(body)});
      },
      // The inner request has a deadline of its own; the caller is owed an answer by ours.
      caf::after(in_time(x)) >>
          [done] {
            done(rest_answer{503, codec::encode_error_body(
                                      {errc::unavailable, "no answer in time, try again"})});
          });
}

}  // namespace

void run_tool(self_ptr self, const exchange_ptr& x, const tools::tool_def& t,
              json::object arguments, std::function<void(rest_answer)> done) {
  if (t.first_path.empty()) return run_rest(self, x, tools::build(t, arguments), std::move(done));
  auto first = tools::build(t, arguments, true);
  run_rest(self, x, std::move(first), [self, x, &t, arguments, done](rest_answer a) mutable {
    if (!a.ok()) return done(std::move(a));
    json::error_code ec;
    auto v = json::parse(a.body, ec);
    const json::value* id = nullptr;
    if (!ec && v.is_object()) id = v.get_object().if_contains(t.first_yields);
    if (!id || !id->is_string())
      return done(
          rest_answer{500, codec::encode_error_body({errc::internal, "unexpected first answer"})});
    auto second = tools::build(t, arguments, false, std::string{id->get_string()});
    run_rest(self, x, std::move(second), std::move(done));
  });
}

void list_tools(self_ptr self, exchange_ptr x, const caller&) {
  ok(self, x, tools::encode_openai_tools());
}

// `{name, arguments}` -> 200 `{result, status}` with the REST answer, or the REST error
// as REST answers it. The arguments are checked before anything runs.
void call_tool(self_ptr self, exchange_ptr x, const caller&) {
  auto parsed = codec::detail::parse_object(x->req.body);
  if (auto* e = std::get_if<error_info>(&parsed)) return fail(self, x, *e);
  auto& o = std::get<json::object>(parsed);
  auto* name = o.if_contains("name");
  if (!name) return fail(self, x, errc::missing_field, "name: required");
  if (!name->is_string()) return fail(self, x, errc::bad_request, "name: must be a string");
  auto* t = tools::find(name->get_string());
  if (!t) return fail(self, x, errc::not_found, "no such tool: " + std::string{name->get_string()});
  json::value args = nullptr;
  if (auto* a = o.if_contains("arguments")) args = *a;
  if (auto e = tools::validate(*t, args)) return fail(self, x, errc::bad_request, *e);
  if (args.is_null()) args = json::object{};
  run_tool(self, x, *t, std::move(args.get_object()), [self, x](rest_answer a) {
    if (!a.ok()) {
      header_list h;
      if (a.status == 429) h.emplace_back("Retry-After", "1");
      return ok(self, x, std::move(a.body), a.status, std::move(h));
    }
    std::string out = R"({"result":)";
    out += a.body.empty() ? "null" : a.body;
    out += R"(,"status":)" + std::to_string(a.status) + "}";
    ok(self, x, std::move(out));
  });
}

}  // namespace relay::api
