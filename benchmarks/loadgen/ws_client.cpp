#include "loadgen/ws_client.hpp"

#include <chrono>
#include <deque>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>

namespace loadgen {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;
// The concrete io_context executor instead of the type-erased any_io_executor: at a
// million frames a second, copying and destroying erased executors shows in profiles.
using socket_type = net::basic_stream_socket<tcp, net::io_context::executor_type>;

namespace {

class beast_conn final : public ws_conn, public std::enable_shared_from_this<beast_conn> {
 public:
  beast_conn(net::io_context& ioc, const target& t, std::string token, ws_events& ev)
      : ws_(ioc.get_executor()), target_(t), token_(std::move(token)), ev_(ev) {}

  void start() {
    error_code ec;
    auto addr = net::ip::make_address(target_.host, ec);
    if (ec) return fail(0, "bad host address '" + target_.host + "': " + ec.message());
    auto& s = ws_.next_layer();
    s.open(tcp::v4(), ec);
    if (ec) return fail(0, "socket: " + ec.message());
    // A receive buffer fixed before the handshake caps the window the server sees, so a
    // stalled reader holds only that much in the kernel instead of megabytes.
    if (target_.rcvbuf > 0) s.set_option(net::socket_base::receive_buffer_size(target_.rcvbuf), ec);
    if (!target_.source.empty()) {
      auto src = net::ip::make_address(target_.source, ec);
      if (!ec) s.bind({src, 0}, ec);
      if (ec) return fail(0, "bind " + target_.source + ": " + ec.message());
    }
    s.async_connect({addr, target_.port},
                    [self = shared_from_this()](error_code e) { self->on_connect(e); });
  }

  void send(std::string text) override {
    if (done_) return;
    out_.push_back(std::move(text));
    if (open_ && !writing_) write();
  }

  std::size_t queued() const override { return out_.size(); }

  void abort() override {
    done_ = true;
    error_code ec;
    ws_.next_layer().close(ec);
  }

  void pause_reading() override { paused_ = true; }

  void resume_reading() override {
    paused_ = false;
    if (open_ && !done_ && !reading_) read();
  }

 private:
  void on_connect(error_code ec) {
    if (done_) return;
    if (ec) return fail(0, "connect: " + ec.message());
    auto& s = ws_.next_layer();
    s.set_option(tcp::no_delay(true), ec);
    // Linger 0: ending a run resets the sockets instead of leaving thousands in
    // TIME_WAIT, which would eat the loopback ephemeral ports the next run needs.
    s.set_option(net::socket_base::linger(true, 0), ec);
    websocket::stream_base::timeout to{};
    to.handshake_timeout = std::chrono::seconds(30);
    to.idle_timeout = websocket::stream_base::none();
    to.keep_alive_pings = false;
    ws_.set_option(to);
    // nchan's subscribers are anonymous: no token, no header.
    if (!token_.empty())
      ws_.set_option(websocket::stream_base::decorator(
          [auth = "Bearer " + token_](websocket::request_type& req) {
            req.set(boost::beast::http::field::authorization, auth);
          }));
    // A resume sync carries every missed message in one frame (megabytes after a long
    // stall); the load generator reads whatever the server sends.
    ws_.read_message_max(std::uint64_t{256} << 20);
    ws_.async_handshake(target_.host + ":" + std::to_string(target_.port), target_.path,
                        [self = shared_from_this()](error_code e) { self->on_handshake(e); });
  }

  void on_handshake(error_code ec) {
    if (done_) return;
    if (ec) return fail(0, "handshake: " + ec.message());
    ws_.text(true);
    open_ = true;
    ev_.on_open();
    read();
    if (!out_.empty() && !writing_) write();
  }

  void read() {
    reading_ = true;
    ws_.async_read(buf_, [self = shared_from_this()](error_code ec, std::size_t) {
      self->reading_ = false;
      if (self->done_) return;
      if (ec == websocket::error::closed) {
        auto& r = self->ws_.reason();
        return self->fail(r.code, std::string(r.reason.data(), r.reason.size()));
      }
      if (ec) return self->fail(0, "read: " + ec.message());
      auto data = self->buf_.cdata();
      self->ev_.on_text({static_cast<const char*>(data.data()), data.size()});
      self->buf_.consume(self->buf_.size());
      if (!self->done_ && !self->paused_) self->read();
    });
  }

  void write() {
    writing_ = true;
    // std::deque keeps element addresses stable across push_back, so the buffer
    // stays valid while later frames are queued behind it.
    ws_.async_write(net::buffer(out_.front()),
                    [self = shared_from_this()](error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (self->done_) return;
                      if (ec) return self->fail(0, "write: " + ec.message());
                      self->out_.pop_front();
                      if (!self->out_.empty()) self->write();
                      self->ev_.on_sent();
                    });
  }

  void fail(int code, const std::string& why) {
    if (done_) return;
    done_ = true;
    error_code ec;
    ws_.next_layer().close(ec);
    ev_.on_closed(code, why);
  }

  websocket::stream<socket_type> ws_;
  target target_;
  std::string token_;
  ws_events& ev_;
  boost::beast::flat_buffer buf_;
  std::deque<std::string> out_;
  bool open_ = false;
  bool writing_ = false;
  bool done_ = false;
  bool paused_ = false;
  bool reading_ = false;
};

}  // namespace

std::shared_ptr<ws_conn> connect_ws(net::io_context& ioc, const target& t, const std::string& token,
                                    ws_events& events) {
  auto c = std::make_shared<beast_conn>(ioc, t, token, events);
  c->start();
  return c;
}

}  // namespace loadgen
