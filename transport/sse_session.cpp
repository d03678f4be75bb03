#include "transport/sse_session.hpp"

#include <array>

#include <boost/asio/steady_timer.hpp>

#include "core/clock.hpp"
#include "core/stream_cursors.hpp"
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

  ~sse_session() override {
    if (log_) env_.api.sse_cursors->ended(log_, now_ms());
  }

  void start(connection_params params, const std::string& cursor_key) {
    if (env_.api.sse_cursors && !cursor_key.empty())
      log_ = env_.api.sse_cursors->open(cursor_key, now_ms());
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
  // Every frame goes through here once, in the order the client gets them: the log of
  // what was written is kept here.
  void frame_into(const out_item& it, std::size_t, buffers& out) override {
    if (!it.frame) {
      out.emplace_back(it.raw.data(), it.raw.size());
      return;
    }
    if (log_) {
      if (it.uncapped)  // the sync
        log_->synced(std::move(sync_have_), it.frame->event_id);
      else if (!it.frame->event_id.empty())
        log_->wrote(it.frame->event_id);
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
  void syncing(cursor_map have) override { sync_have_ = std::move(have); }

  std::shared_ptr<stream_cursors::log> log_;  // null: not logged (no key)
  cursor_map sync_have_;                      // where the sync leaves the client
};

}  // namespace

void start_sse_session(tcp::socket socket, session_env& env, std::uint64_t id,
                       connection_params params, const std::string& cursor_key) {
  std::make_shared<sse_session>(std::move(socket), env, id)->start(std::move(params), cursor_key);
}

}  // namespace relay
