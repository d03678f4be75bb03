#include "transport/http_session.hpp"

#include <array>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "actors/chat/connection.hpp"
#include "protocol/http_reader.hpp"
#include "protocol/ws_codec.hpp"
#include "transport/agent_protocols.hpp"
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
void read_cookies(std::string_view header, http_request& r) {
  if (auto v = http_in::cookie_value(header, "relay_session")) r.session = std::string(*v);
  if (auto v = http_in::cookie_value(header, "relay_oauth")) r.oauth_state = std::string(*v);
}

// A Sec-WebSocket-Key is the base64 of 16 bytes (RFC 6455 4.1): 22 characters and "==".
bool valid_ws_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  return true;
}

// Bytes asked of the socket per read; the buffer holds at most this beyond what the
// reader may leave unparsed.
constexpr std::size_t read_chunk = 16 * 1024;

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, session_env& env)
      : stream_(std::move(socket)),
        env_(env),
        // An upload's body is its file plus the multipart framing and form fields
        // (api/attachments.cpp bounds those to far less than 64 KB).
        limits_{16 * 1024, static_cast<std::size_t>(env.cfg->max_body_bytes),
                static_cast<std::size_t>(env.cfg->attachment_max_bytes) + 64 * 1024},
        buffer_(limits_.header_bytes + read_chunk) {}

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

  // A file of the browser client, or its error; on this thread, no actor involved.
  void respond_web(web::reply r) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version_};
    res.set(http::field::server, "relay");
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive_);
    // Set by hand, not by prepare_payload(): a HEAD answer has the GET's length and no body.
    if (r.status != 304) res.content_length(r.content_length);
    if (r.body) res.body() = *r.body;
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

  void stream(room_actor room, principal who, std::map<std::string, std::int64_t> resume,
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
  // Reads the next request; the buffer may already hold it (pipelining).
  void read() {
    reader_.emplace(limits_);
    stream_.expires_after(std::chrono::seconds(env_.cfg->handshake_timeout_seconds));
    parse();
  }

  void read_some() {
    stream_.async_read_some(buffer_.prepare(read_chunk),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close();  // EOF or timeout: nothing to answer
                              self->buffer_.commit(n);
                              self->parse();
                            });
  }

  void parse() {
    auto data = buffer_.data();
    std::size_t used = 0;
    auto v = reader_->feed({static_cast<const char*>(data.data()), data.size()}, used);
    buffer_.consume(used);
    switch (v) {
      case http_in::verdict::more:
        return read_some();
      case http_in::verdict::done:
        break;
      case http_in::verdict::bad_request:
        return refuse(400, R"({"error":"malformed HTTP request","code":"BAD_REQUEST"})");
      case http_in::verdict::header_too_large:
        return refuse(
            431,
            R"({"error":"request header is larger than the limit","code":"PAYLOAD_TOO_LARGE"})");
      case http_in::verdict::too_large:
        return refuse(
            413, R"({"error":"request body is larger than the limit","code":"PAYLOAD_TOO_LARGE"})");
      case http_in::verdict::not_implemented:
        return refuse(
            501,
            R"({"error":"transfer codings other than chunked are not supported","code":"NOT_IMPLEMENTED"})");
    }
    stream_.expires_never();
    auto req = reader_->release();
    reader_.reset();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    dispatch(std::move(req));
  }

  // What follows a refused request cannot be told apart from its rest: answer, then close.
  void refuse(int status, std::string body) {
    reader_.reset();
    keep_alive_ = false;
    respond(status, std::move(body), {});
  }

  void dispatch(http::request<http::string_body>&& req) {
    http_request r;
    r.method = std::string(req.method_string());
    auto target = boost::urls::parse_origin_form(req.target());
    if (!target)
      return respond(400, R"({"error":"malformed request target","code":"BAD_REQUEST"})", {});
    // Every GET and HEAD outside the API serves the browser client (transport/web_root.hpp);
    // a WebSocket upgrade there goes on to the API's 404.
    if ((req.method() == http::verb::get || req.method() == http::verb::head) && env_.web &&
        !beast::iequals(req[http::field::upgrade], "websocket") &&
        web::web_root::serves(target->encoded_path()))
      return respond_web(env_.web->serve(target->encoded_path(), req.method() == http::verb::head,
                                         req[http::field::accept_encoding],
                                         req[http::field::if_none_match]));
    r.path = split_path(*target);
    for (auto p : target->params()) r.query.emplace(p.key, p.value);
    auto auth = req[http::field::authorization];
    r.authorization = std::string(auth);
    if (auth.size() > 7 && beast::iequals(auth.substr(0, 7), "Bearer "))
      r.bearer = std::string(auth.substr(7));
    read_cookies(req[http::field::cookie], r);
    r.origin = std::string(req[http::field::origin]);
    r.content_type = std::string(req[http::field::content_type]);
    r.proxied = req.count("Forwarded") || req.count("X-Forwarded-For") ||
                req.count("X-Forwarded-Host") || req.count("X-Real-IP");
    r.last_event_id = std::string(req["Last-Event-ID"]);
    r.host = std::string(req[http::field::host]);
    r.github_event = std::string(req["X-GitHub-Event"]);
    r.github_delivery = std::string(req["X-GitHub-Delivery"]);
    r.hub_signature = std::string(req["X-Hub-Signature-256"]);
    r.body = std::move(req.body());
    auto upgrade = req[http::field::upgrade];
    if (beast::iequals(upgrade, "websocket")) {
      auto key = req["Sec-WebSocket-Key"];
      // RFC 6455 4.2.1: an HTTP/1.1 GET with Host, `Connection: Upgrade` (a token in a
      // list, any case), version 13 and a well-formed key; anything else is not one.
      if (req.method() != http::verb::get || req.version() < 11 || req[http::field::host].empty() ||
          !valid_ws_key(key) || !http::token_list{req[http::field::connection]}.exists("upgrade") ||
          req["Sec-WebSocket-Version"] != "13") {
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

  using response_ptr = std::shared_ptr<http::response<http::string_body>>;
  using serializer_ptr = std::shared_ptr<http::response_serializer<http::string_body>>;

  void write(http::response<http::string_body>&& res) {
    auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
    write_some(sp, std::make_shared<http::response_serializer<http::string_body>>(*sp));
  }

  // A piece at a time, each with its own deadline: a client that reads slowly gets its
  // whole answer, one that stops reading (pipelining requests into a closed receive
  // window) loses the connection after write_timeout_seconds without progress.
  void write_some(response_ptr sp, serializer_ptr sr) {
    stream_.expires_after(std::chrono::seconds(env_.cfg->write_timeout_seconds));
    http::async_write_some(stream_, *sr,
                           [self = shared_from_this(), sp, sr](beast::error_code ec, std::size_t) {
                             if (ec) return self->close();
                             if (!sr->is_done()) return self->write_some(sp, sr);
                             self->stream_.expires_never();
                             if (!sp->keep_alive()) return self->close();
                             self->websocket_ = false;
                             self->read();
                           });
  }

  // Half-closes, then reads and discards what the client is still sending for a short,
  // bounded time (as nginx's lingering close does): closing a socket with unread bytes
  // sends a reset, which destroys the answer (a 413, say) before the client reads it.
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec || !stream_.socket().is_open()) return;
    stream_.expires_after(std::chrono::seconds(2));
    linger();
  }

  void linger() {
    thread_local std::array<char, 16 * 1024> discard;
    stream_.async_read_some(net::buffer(discard),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (!ec) self->linger();
                            });
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
    void stream(room_actor room, principal who, std::map<std::string, std::int64_t> resume,
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
  http_in::limits limits_;
  beast::flat_buffer buffer_;  // bounded: a request over the limits fails, never grows it
  std::optional<http_in::reader> reader_;
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
