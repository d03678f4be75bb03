#include "transport/ws_session.hpp"

#include <array>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <caf/all.hpp>

#include "core/text.hpp"
#include "transport/codec/json_codec.hpp"
#include "transport/codec/ws_codec.hpp"
#include "transport/out_queue.hpp"

namespace relay {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Bytes read per syscall. Small on purpose: an idle connection's memory is mostly
// this buffer, and chat frames are small.
constexpr std::size_t read_chunk = 2048;
// Frames gathered into one write.
constexpr std::size_t max_batch = 64;

class ws_session final : public client_sink, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(tcp::socket&& s, session_env& env, std::uint64_t id)
      : socket_(std::move(s)),
        env_(env),
        id_(id),
        decoder_(static_cast<std::size_t>(env.cfg->max_frame_bytes), true),
        queue_(static_cast<std::size_t>(env.cfg->out_queue_bytes),
               static_cast<std::size_t>(env.cfg->out_queue_frames)) {}

  void start(std::string handshake, std::string leftover, connection_params params) {
    params.sink = shared_from_this();
    conn_ = spawn_connection(*env_.sys, std::move(params));
    enqueue_raw(std::move(handshake));
    if (!leftover.empty()) on_bytes(leftover);
    read();
  }

  // -- client_sink (any thread) ---------------------------------------------------

  std::uint64_t id() const noexcept override { return id_; }

  void push(frame_ptr f) override {
    net::post(socket_.get_executor(), [self = shared_from_this(), f = std::move(f)]() mutable {
      if (!self->synced_) return self->hold(std::move(f));
      self->enqueue({std::move(f), {}});
    });
  }

  void push_sync(frame_ptr f) override {
    net::post(socket_.get_executor(), [self = shared_from_this(), f = std::move(f)]() mutable {
      self->synced_ = true;
      self->enqueue({std::move(f), {}});
      auto held = std::move(self->held_);
      for (auto& h : held) self->enqueue({std::move(h), {}});
    });
  }

  void close(std::uint16_t code, std::string reason) override {
    net::post(socket_.get_executor(),
              [self = shared_from_this(), code, reason = std::move(reason)] {
                self->start_close(code, reason);
              });
  }

 private:
  void hold(frame_ptr f) {
    // Before sync the client reads nothing yet; the same caps apply to what waits.
    held_bytes_ += f->json.size();
    if (held_bytes_ > static_cast<std::size_t>(env_.cfg->out_queue_bytes))
      return start_close(4008, "slow consumer");
    held_.push_back(std::move(f));
  }

  void read() {
    socket_.async_read_some(net::buffer(rbuf_),
                            [self = shared_from_this()](auto ec, std::size_t n) {
                              if (ec) return self->gone();
                              self->on_bytes(std::string_view(self->rbuf_.data(), n));
                              if (!self->dead_) self->read();
                            });
  }

  void on_bytes(std::string_view bytes) {
    msgs_.clear();
    auto err = decoder_.feed(bytes, msgs_);
    for (auto& m : msgs_) on_message(m);
    if (err != ws::decode_error::none) start_close(ws::close_code(err), "protocol error");
  }

  void on_message(ws::message& m) {
    using ws::opcode;
    switch (m.op) {
      case opcode::text:
      case opcode::binary: {
        // Binary frames are read as JSON text too, so they get the same answers.
        if (closing_) return;
        if (m.oversized) return reply_error(errc::payload_too_large, "frame larger than the limit");
        if (!valid_utf8(m.payload))
          return reply_error(errc::invalid_utf8, "frame is not valid UTF-8");
        caf::anon_send(conn_, codec::decode_client_frame(m.payload));
        return;
      }
      case opcode::ping: {
        std::string out;
        ws::encode_frame(opcode::pong, m.payload, out);
        return enqueue_raw(std::move(out));
      }
      case opcode::close:
        if (!closing_) start_close(1000, "");
        return;
      default:
        return;
    }
  }

  void reply_error(errc code, std::string text) {
    enqueue({make_frame(codec::encode_error_frame({code, std::move(text)}, {})), {}});
  }

  void enqueue_raw(std::string bytes) { enqueue({nullptr, std::move(bytes)}); }

  void enqueue(out_item item) {
    if (closing_) return;
    switch (queue_.push(std::move(item))) {
      case out_queue::verdict::queued:
        break;
      case out_queue::verdict::dropped:
        return;
      case out_queue::verdict::overflow:
        return start_close(4008, "slow consumer");
    }
    if (!writing_) write();
  }

  // Writes as many queued frames as fit in one batch with a single gathered write.
  void write() {
    writing_ = true;
    auto& items = queue_.items();
    batch_ = std::min(items.size(), max_batch);
    bufs_.clear();
    headers_.resize(batch_);
    for (std::size_t i = 0; i < batch_; ++i) {
      auto& it = items[i];
      if (it.frame) {
        auto n = ws::encode_header(ws::opcode::text, it.frame->json.size(), headers_[i].data());
        bufs_.emplace_back(headers_[i].data(), n);
        bufs_.emplace_back(it.frame->json.data(), it.frame->json.size());
      } else {
        bufs_.emplace_back(it.raw.data(), it.raw.size());
      }
    }
    net::async_write(socket_, bufs_, [self = shared_from_this()](auto ec, std::size_t) {
      self->writing_ = false;
      if (ec) return self->gone();
      self->queue_.pop_front(self->batch_);
      if (!self->queue_.empty()) return self->write();
      if (self->closing_) self->finish_close();
    });
  }

  // Sends a close frame after what is queued (or instead of it, for a slow consumer).
  void start_close(std::uint16_t code, std::string_view reason) {
    if (closing_ || dead_) return;
    if (code == 4008) {
      spdlog::info("closing slow consumer (connection {}, {} bytes queued)", id_, queue_.bytes());
      queue_.truncate(writing_ ? batch_ : 0);  // an in-flight batch must finish
    }
    std::string out;
    ws::encode_frame(ws::opcode::close, ws::close_payload(code, reason), out);
    // Bypass the caps: the close frame must go out even when the queue is full.
    queue_.force_push({nullptr, std::move(out)});
    closing_ = true;
    notify_gone();
    if (!writing_) write();
  }

  void finish_close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

  void gone() {
    if (dead_) return;
    dead_ = true;
    notify_gone();
    boost::system::error_code ec;
    socket_.close(ec);
  }

  void notify_gone() {
    if (conn_) {
      caf::anon_send(conn_, close_atom::value);
      conn_ = nullptr;
    }
  }

  tcp::socket socket_;
  session_env& env_;
  std::uint64_t id_;
  ws::decoder decoder_;
  out_queue queue_;
  caf::actor conn_;
  std::array<char, read_chunk> rbuf_;
  std::vector<ws::message> msgs_;
  std::vector<frame_ptr> held_;
  std::size_t held_bytes_ = 0;
  std::vector<net::const_buffer> bufs_;
  std::vector<std::array<unsigned char, 10>> headers_;
  std::size_t batch_ = 0;
  bool synced_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool dead_ = false;
};

}  // namespace

void start_ws_session(tcp::socket socket, session_env& env, std::uint64_t id, std::string handshake,
                      std::string leftover, connection_params params) {
  auto s = std::make_shared<ws_session>(std::move(socket), env, id);
  s->start(std::move(handshake), std::move(leftover), std::move(params));
}

}  // namespace relay
