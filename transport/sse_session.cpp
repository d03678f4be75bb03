#include "transport/sse_session.hpp"

#include <array>

#include <boost/asio/steady_timer.hpp>

#include "transport/stream_session.hpp"

namespace relay {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::string_view head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
    "Cache-Control: no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n"
    "retry: 1000\n\n";
constexpr std::string_view prefix_with_id = "event: room\nid: ";
constexpr std::string_view prefix = "event: room\ndata: ";
constexpr std::string_view data_after_id = "\ndata: ";
constexpr std::string_view event_end = "\n\n";

class sse_session final : public stream_session {
 public:
  sse_session(tcp::socket&& s, session_env& env, std::uint64_t id)
      : stream_session(std::move(s), env, id, metrics::conn_class::sse),
        ping_timer_(socket_.get_executor()) {}

  void start(connection_params params) {
    attach(std::move(params));
    enqueue({nullptr, std::string(head)});
    watch();
    schedule_ping();
  }

 private:
  std::shared_ptr<sse_session> self() {
    return std::static_pointer_cast<sse_session>(shared_from_this());
  }

  // SSE clients send nothing after the request; a read only tells us they left.
  void watch() {
    socket_.async_read_some(net::buffer(rbuf_), [self = self()](auto ec, std::size_t) {
      if (ec) return self->end();
      self->watch();
    });
  }

  void schedule_ping() {
    ping_timer_.expires_after(std::chrono::seconds(env_.cfg->sse_ping_seconds));
    ping_timer_.async_wait([self = self()](auto ec) {
      if (ec || self->dead_) return;
      self->enqueue({nullptr, "event: ping\ndata: \n\n"});
      self->schedule_ping();
    });
  }

  // Each frame becomes `event: room\n[id: …\n]data: …\n\n` without copying the JSON.
  void frame_into(const out_item& it, std::size_t, buffers& out) override {
    if (!it.frame) {
      out.emplace_back(it.raw.data(), it.raw.size());
      return;
    }
    if (it.frame->event_id.empty()) {
      out.emplace_back(prefix.data(), prefix.size());
    } else {
      out.emplace_back(prefix_with_id.data(), prefix_with_id.size());
      out.emplace_back(it.frame->event_id.data(), it.frame->event_id.size());
      out.emplace_back(data_after_id.data(), data_after_id.size());
    }
    out.emplace_back(it.frame->json.data(), it.frame->json.size());
    out.emplace_back(event_end.data(), event_end.size());
  }

  // SSE has no close frame: end the stream once what is queued is written.
  void start_close(std::uint16_t, std::string_view) override {
    if (closing_ || dead_) return;
    closing_ = true;
    detach();
    if (!writing_) end();
  }

  void drained_while_closing() override { end(); }

  void end() {
    ping_timer_.cancel();
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    gone();
  }

  net::steady_timer ping_timer_;
  std::array<char, 64> rbuf_;
};

}  // namespace

void start_sse_session(tcp::socket socket, session_env& env, std::uint64_t id,
                       connection_params params) {
  std::make_shared<sse_session>(std::move(socket), env, id)->start(std::move(params));
}

}  // namespace relay
