#include "transport/ws_session.hpp"

#include <algorithm>
#include <array>
#include <atomic>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <caf/all.hpp>

#include "core/text.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/ws_codec.hpp"
#include "transport/stream_session.hpp"

namespace relay {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Bytes read per syscall, into one buffer per I/O thread: a connection waits for
// readability without a buffer of its own, so an idle one costs none.
constexpr std::size_t read_chunk = 16 * 1024;

// Inbound read-ahead: past `inbound_high` bytes decoded but not yet consumed by the
// actor side, reading stops until it is back under `inbound_low`. Oversized frames are
// bounded separately (max_frame_bytes), so one frame may pass the mark.
constexpr std::size_t inbound_high = 64 * 1024;
constexpr std::size_t inbound_low = 32 * 1024;

class ws_session final : public stream_session {
 public:
  ws_session(tcp::socket&& s, session_env& env, std::uint64_t id, const ws_protocol& proto)
      : stream_session(std::move(s), env, id, proto.cls),
        proto_(proto),
        decoder_(
            std::max(static_cast<std::size_t>(env.cfg->max_frame_bytes), proto.min_frame_bytes),
            true),
        close_timer_(socket_.get_executor()),
        idle_timer_(socket_.get_executor()),
        idle_(std::chrono::seconds(env.cfg->idle_timeout_seconds)) {}

  template <class Attach>
  void start(std::string handshake, std::string leftover, Attach&& attach_to) {
    attach(std::forward<Attach>(attach_to));
    enqueue({nullptr, std::move(handshake)});
    last_in_ = std::chrono::steady_clock::now();
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);  // reads happen only after readiness; never block
    if (!leftover.empty()) on_bytes(leftover);
    read();
    watch_idle(idle_ / 2);
  }

 private:
  std::shared_ptr<ws_session> self() {
    return std::static_pointer_cast<ws_session>(shared_from_this());
  }

 public:
  void pause_reading(bool pause) override {
    net::post(socket_.get_executor(), [self = self(), pause] {
      self->paused_ = pause;
      self->maybe_read();
    });
  }

  void consumed(std::size_t bytes) override {
    auto before = inbound_.fetch_sub(bytes, std::memory_order_relaxed);
    if (before > inbound_low && before - bytes <= inbound_low)
      net::post(socket_.get_executor(), [self = self()] {
        self->held_back_ = false;
        self->maybe_read();
      });
  }

 private:
  void maybe_read() {
    if (!paused_ && !held_back_ && !self_clocked_ && !reading_ && !dead_) read();
  }

  void caught_up() override {
    if (!self_clocked_) return;
    self_clocked_ = false;
    maybe_read();
  }

  void read() {
    reading_ = true;
    socket_.async_wait(tcp::socket::wait_read, [self = self()](auto ec) {
      self->reading_ = false;
      if (ec) return self->gone();
      thread_local std::array<char, read_chunk> buf;
      boost::system::error_code rec;
      auto n = self->socket_.read_some(net::buffer(buf), rec);
      if (rec == net::error::would_block || rec == net::error::try_again) return self->maybe_read();
      if (rec) return self->gone();
      self->last_in_ = std::chrono::steady_clock::now();
      self->on_bytes(std::string_view(buf.data(), n));
      if (self->inbound_.load(std::memory_order_relaxed) > inbound_high) self->held_back_ = true;
      // A chat client behind on its own queue is not read until it catches up: nobody
      // sends faster than they read. In a room where everyone is behind because the
      // server is (a burst from many senders), this slows the senders instead of
      // closing every reader as a slow consumer. Another client's slowness never
      // reaches a sender this way.
      if (self->proto_.cls == metrics::conn_class::ws && self->behind()) self->self_clocked_ = true;
      self->maybe_read();
    });
  }

  void on_bytes(std::string_view bytes) {
    msgs_.clear();
    auto err = decoder_.feed(bytes, msgs_);
    if (closing_ && err == ws::decode_error::none && !msgs_.empty() &&
        msgs_.back().op == ws::opcode::close)
      return gone();  // the peer answered our close: the handshake is complete
    for (auto& m : msgs_) on_message(m);
    if (err != ws::decode_error::none) start_close(ws::close_code(err), close_reason(err));
  }

  static std::string_view close_reason(ws::decode_error err) {
    switch (err) {
      case ws::decode_error::invalid_utf8:
        return "invalid UTF-8";
      case ws::decode_error::bad_close:
        return "invalid close frame";
      default:
        return "protocol error";
    }
  }

  void on_message(ws::message& m) {
    using ws::opcode;
    switch (m.op) {
      case opcode::text:
      case opcode::binary: {
        // Binary frames are read as JSON text too, so they get the same answers. A text
        // frame is UTF-8 by now (the decoder fails the connection otherwise, RFC 6455
        // 8.1); a binary one that is not gets the error a JSON body would.
        if (closing_) return;
        if (m.oversized) return reply_error(errc::payload_too_large, "frame larger than the limit");
        if (m.op == opcode::binary && !valid_utf8(m.payload))
          return reply_error(errc::invalid_utf8, "frame is not valid UTF-8");
        inbound_.fetch_add(m.payload.size(), std::memory_order_relaxed);
        caf::anon_send(conn(), proto_.decode(m.payload));
        return;
      }
      case opcode::ping: {
        std::string out;
        ws::encode_frame(opcode::pong, m.payload, out);
        return enqueue({nullptr, std::move(out)});
      }
      case opcode::close: {
        // Echo the peer's code (RFC 6455 5.5.1); a close without one is answered 1000.
        auto code = ws::close_code_of(m.payload);
        if (!closing_) start_close(code == 1005 ? 1000 : code, "");
        return;
      }
      default:
        return;
    }
  }

  // A peer quiet for half the idle period gets a ping (browsers and libraries answer
  // it); one that stayed silent for the whole period is closed. The timer wakes when the
  // next ping falls due, counted from what the peer last sent, not on a fixed beat: on a
  // beat of half the period a pong that came a moment after its ping left the socket a
  // hair under the period quiet at the next beat, unpinged, and closed at the one after
  // although it had answered every ping. The timer holds a weak reference so a dead
  // session is not kept alive by it.
  void watch_idle(std::chrono::steady_clock::duration wait) {
    idle_timer_.expires_after(wait);
    idle_timer_.async_wait([weak = std::weak_ptr<ws_session>(self())](auto ec) {
      auto self = weak.lock();
      if (ec || !self || self->dead_ || self->closing_) return;
      const auto now = std::chrono::steady_clock::now();
      // A paused socket is quiet on purpose (its reader is behind), not idle.
      if (self->paused_ || self->self_clocked_) self->last_in_ = now;
      const auto quiet = now - self->last_in_;
      const auto half = self->idle_ / 2;
      if (quiet >= self->idle_) return self->start_close(1001, "idle timeout");
      if (quiet < half) return self->watch_idle(half - quiet);
      std::string out;
      ws::encode_frame(ws::opcode::ping, {}, out);
      self->enqueue({nullptr, std::move(out)});
      if (!self->proto_.ping_json.empty())
        self->enqueue({make_frame(self->proto_.ping_json, {}, true), {}});
      // Closed then only if nothing at all came back, for at least half a period after
      // the ping.
      self->watch_idle(std::max(self->idle_ - quiet, half));
    });
  }

  void reply_error(errc code, std::string text) {
    enqueue({make_frame(proto_.error_frame(code, text)), {}});
  }

  void frame_into(const out_item& it, std::size_t i, buffers& out) override {
    if (!it.frame) {
      out.emplace_back(it.raw.data(), it.raw.size());
      return;
    }
    // Sized once for a whole batch: the buffers point into it, it must never move.
    if (headers_.empty()) headers_.resize(max_batch);
    auto n = ws::encode_header(ws::opcode::text, it.frame->json.size(), headers_[i].data());
    out.emplace_back(headers_[i].data(), n);
    out.emplace_back(it.frame->json.data(), it.frame->json.size());
  }

  // Queues a close frame behind what is queued (the caps do not apply to it), then
  // half-closes once it is written; the read loop ends when the peer closes too.
  void start_close(std::uint16_t code, std::string_view reason) override {
    if (closing_ || dead_) return;
    std::string out;
    ws::encode_frame(ws::opcode::close, ws::close_payload(code, reason), out);
    queue_.force_push({nullptr, std::move(out)});
    closing_ = true;
    detach();
    kick();
    // A peer that never answers the close handshake must not keep the socket forever.
    close_timer_.expires_after(std::chrono::seconds(5));
    close_timer_.async_wait([self = self()](auto ec) {
      if (!ec) self->gone();
    });
  }

  void drained_while_closing() override {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

  const ws_protocol& proto_;
  ws::decoder decoder_;
  std::vector<ws::message> msgs_;
  std::vector<std::array<unsigned char, 10>> headers_;
  net::steady_timer close_timer_;
  net::steady_timer idle_timer_;
  std::chrono::steady_clock::duration idle_;
  std::chrono::steady_clock::time_point last_in_;
  bool paused_ = false;        // by the actor side (its reader is behind)
  bool held_back_ = false;     // too much read but not yet consumed
  bool self_clocked_ = false;  // a chat client behind on its own queue (caught_up())
  bool reading_ = false;
  std::atomic<std::size_t> inbound_{0};  // bytes sent to the actor, not yet consumed
};

}  // namespace

const ws_protocol& chat_protocol() {
  static const ws_protocol proto{[](std::string_view text) {
                                   return caf::make_message(codec::decode_client_frame(text),
                                                            text.size());
                                 },
                                 [](errc code, std::string_view text) {
                                   return codec::encode_error_frame({code, std::string(text)}, {});
                                 },
                                 {},
                                 0};
  return proto;
}

void start_ws_session(tcp::socket socket, session_env& env, std::uint64_t id, std::string handshake,
                      std::string leftover, connection_params params) {
  auto s = std::make_shared<ws_session>(std::move(socket), env, id, chat_protocol());
  s->start(std::move(handshake), std::move(leftover), std::move(params));
}

void start_ws_session(tcp::socket socket, session_env& env, std::uint64_t id, std::string handshake,
                      std::string leftover, const ws_protocol& proto,
                      const std::function<caf::actor(sink_ptr)>& spawn) {
  auto s = std::make_shared<ws_session>(std::move(socket), env, id, proto);
  s->start(std::move(handshake), std::move(leftover), spawn);
}

}  // namespace relay
