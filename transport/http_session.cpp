#include "transport/http_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "actors/connection.hpp"
#include "transport/agent_protocols.hpp"
#include "transport/codec/ws_codec.hpp"
#include "transport/sse_session.hpp"
#include "transport/ws_session.hpp"

namespace relay {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Percent-decoded, non-empty path segments.
std::vector<std::string> split_path(const boost::urls::url_view& u) {
  std::vector<std::string> out;
  for (auto s : u.segments())
    if (!s.empty()) out.push_back(std::string(s));
  return out;
}

// Picks Relay's two cookies out of a `Cookie` header.
void read_cookies(beast::string_view header, http_request& r) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = header.substr(0, semi);
    header = semi == beast::string_view::npos ? beast::string_view{} : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq == beast::string_view::npos) continue;
    auto name = pair.substr(0, eq);
    auto value = pair.substr(eq + 1);
    if (name == "relay_session") r.session = std::string(value);
    if (name == "relay_oauth") r.oauth_state = std::string(value);
  }
}

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, session_env& env) : stream_(std::move(socket)), env_(env) {}

  void start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&http_session::read, shared_from_this()));
  }

  // -- called by the responder, on the session's I/O thread ------------------------

  void respond(int status, std::string body, header_list headers) {
    http::response<http::string_body> res{static_cast<http::status>(status), version_};
    res.set(http::field::server, "relay");
    if (!body.empty() || status == 401)
      res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    for (auto& [k, v] : headers) {
      if (beast::iequals(k, "Set-Cookie"))
        res.insert(k, v);  // one header per cookie
      else
        res.set(k, v);
    }
    res.keep_alive(keep_alive_);
    res.body() = std::move(body);
    res.prepare_payload();
    write(std::move(res));
  }

  void upgrade(relay_socket kind, std::function<caf::actor(sink_ptr)> spawn) {
    if (!websocket_)
      return respond(400, R"({"error":"expected a WebSocket upgrade","code":"INVALID_EVENT"})", {});
    auto id = env_.next_sink_id++;
    std::string leftover{static_cast<const char*>(buffer_.data().data()), buffer_.size()};
    std::string accept =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
        ws::accept_key(ws_key_) + "\r\n\r\n";
    start_ws_session(stream_.release_socket(), env_, id, std::move(accept), std::move(leftover),
                     kind == relay_socket::agent ? agent_ws_protocol() : app_ws_protocol(), spawn);
  }

  void stream(caf::actor room, principal who, std::map<std::string, std::int64_t> resume,
              std::string cursor_key) {
    auto id = env_.next_sink_id++;
    connection_params cp{nullptr,
                         std::move(room),
                         std::move(who),
                         std::move(resume),
                         static_cast<std::size_t>(env_.cfg->max_content_chars),
                         static_cast<std::size_t>(env_.cfg->sync_messages),
                         env_.api.registry,
                         static_cast<double>(env_.cfg->send_rate),
                         static_cast<double>(env_.cfg->send_burst),
                         env_.api.user_sends,
                         {static_cast<std::size_t>(env_.cfg->resume_page_messages),
                          static_cast<std::size_t>(env_.cfg->resume_page_bytes)},
                         env_.api.resume_budget};
    // The unread tail of the buffer already belongs to the new protocol.
    std::string leftover{static_cast<const char*>(buffer_.data().data()), buffer_.size()};
    if (websocket_) {
      std::string accept =
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
          ws::accept_key(ws_key_) + "\r\n\r\n";
      start_ws_session(stream_.release_socket(), env_, id, std::move(accept), std::move(leftover),
                       std::move(cp));
    } else {
      start_sse_session(stream_.release_socket(), env_, id, std::move(cp), std::move(cursor_key));
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(env_.cfg->max_body_bytes));
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(env_.cfg->handshake_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return respond(
          413, R"({"error":"request body is larger than the limit","code":"PAYLOAD_TOO_LARGE"})",
          {});
    }
    if (ec) return close();  // EOF, timeout or garbage: nothing to answer
    stream_.expires_never();
    auto req = parser_->release();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    dispatch(std::move(req));
  }

  void dispatch(http::request<http::string_body>&& req) {
    http_request r;
    r.method = std::string(req.method_string());
    auto target = boost::urls::parse_origin_form(req.target());
    if (!target)
      return respond(400, R"({"error":"malformed request target","code":"BAD_REQUEST"})", {});
    r.path = split_path(*target);
    for (auto p : target->params()) r.query.emplace(p.key, p.value);
    auto auth = req[http::field::authorization];
    r.authorization = std::string(auth);
    if (auth.size() > 7 && beast::iequals(auth.substr(0, 7), "Bearer "))
      r.bearer = std::string(auth.substr(7));
    read_cookies(req[http::field::cookie], r);
    r.origin = std::string(req[http::field::origin]);
    r.proxied = req.count("Forwarded") || req.count("X-Forwarded-For") ||
                req.count("X-Forwarded-Host") || req.count("X-Real-IP");
    r.last_event_id = std::string(req["Last-Event-ID"]);
    r.body = std::move(req.body());
    auto upgrade = req[http::field::upgrade];
    if (beast::iequals(upgrade, "websocket")) {
      auto key = req["Sec-WebSocket-Key"];
      if (req.method() != http::verb::get || key.empty() || req["Sec-WebSocket-Version"] != "13") {
        keep_alive_ = false;
        return respond(400, R"({"error":"bad WebSocket handshake","code":"BAD_REQUEST"})",
                       {{"Sec-WebSocket-Version", "13"}});
      }
      r.websocket = websocket_ = true;
      ws_key_ = std::string(key);
    }
    spawn_api_request(*env_.sys, env_.api, std::move(r),
                      std::make_shared<responder>(shared_from_this()));
  }

  void write(http::response<http::string_body>&& res) {
    auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
    http::async_write(stream_, *sp,
                      [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
                        if (ec || !sp->keep_alive()) return self->close();
                        self->websocket_ = false;
                        self->read();
                      });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  /// Hands API answers back onto this session's I/O thread.
  struct responder final : http_responder {
    explicit responder(std::shared_ptr<http_session> s) : s_(std::move(s)) {}
    void respond(int status, std::string body, header_list headers) override {
      net::post(s_->stream_.get_executor(),
                [s = s_, status, body = std::move(body), headers = std::move(headers)]() mutable {
                  s->respond(status, std::move(body), std::move(headers));
                });
    }
    void upgrade(relay_socket kind, std::function<caf::actor(sink_ptr)> spawn) override {
      net::post(s_->stream_.get_executor(), [s = s_, kind, spawn = std::move(spawn)]() mutable {
        s->upgrade(kind, std::move(spawn));
      });
    }
    void stream(caf::actor room, principal who, std::map<std::string, std::int64_t> resume,
                std::string cursor_key) override {
      net::post(s_->stream_.get_executor(),
                [s = s_, room = std::move(room), who = std::move(who), resume = std::move(resume),
                 key = std::move(cursor_key)]() mutable {
                  s->stream(std::move(room), std::move(who), std::move(resume), std::move(key));
                });
    }
    std::shared_ptr<http_session> s_;
  };

  beast::tcp_stream stream_;
  session_env& env_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool websocket_ = false;
  std::string ws_key_;
};

}  // namespace

void start_http_session(tcp::socket socket, session_env& env) {
  std::make_shared<http_session>(std::move(socket), env)->start();
}

}  // namespace relay
