#include "transport/sse_session.hpp"

#include <array>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <caf/all.hpp>

#include "transport/out_queue.hpp"

namespace relay {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t max_batch = 64;
constexpr std::string_view head =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
    "Cache-Control: no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n"
    "retry: 1000\n\n";
constexpr std::string_view prefix_with_id = "event: room\nid: ";
constexpr std::string_view prefix = "event: room\ndata: ";

class sse_session final : public client_sink, public std::enable_shared_from_this<sse_session> {
 public:
  sse_session(tcp::socket&& s, session_env& env, std::uint64_t id)
      : socket_(std::move(s)),
        env_(env),
        id_(id),
        ping_timer_(socket_.get_executor()),
        queue_(static_cast<std::size_t>(env.cfg->out_queue_bytes),
               static_cast<std::size_t>(env.cfg->out_queue_frames)) {}

  void start(connection_params params) {
    params.sink = shared_from_this();
    conn_ = spawn_connection(*env_.sys, std::move(params));
    enqueue({nullptr, std::string(head)});
    watch();
    schedule_ping();
  }

  std::uint64_t id() const noexcept override { return id_; }

  void push(frame_ptr f) override {
    net::post(socket_.get_executor(), [self = shared_from_this(), f = std::move(f)]() mutable {
      if (!self->synced_) return self->held_.push_back(std::move(f));
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

  void close(std::uint16_t, std::string) override {
    net::post(socket_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (!self->writing_) self->gone();
    });
  }

 private:
  // SSE clients send nothing after the request; a read only tells us they left.
  void watch() {
    socket_.async_read_some(net::buffer(rbuf_), [self = shared_from_this()](auto ec, std::size_t) {
      if (ec) return self->gone();
      self->watch();
    });
  }

  void schedule_ping() {
    ping_timer_.expires_after(std::chrono::seconds(env_.cfg->sse_ping_seconds));
    ping_timer_.async_wait([self = shared_from_this()](auto ec) {
      if (ec || self->dead_) return;
      self->enqueue({nullptr, "event: ping\ndata: \n\n"});
      self->schedule_ping();
    });
  }

  void enqueue(out_item item) {
    if (dead_ || closing_) return;
    if (queue_.push(std::move(item)) == out_queue::verdict::overflow) {
      spdlog::info("closing slow SSE consumer (connection {})", id_);
      return gone();
    }
    if (!writing_) write();
  }

  // One gathered write per batch; each frame becomes `event: room\n[id: …\n]data: …\n\n`.
  void write() {
    writing_ = true;
    auto& items = queue_.items();
    batch_ = std::min(items.size(), max_batch);
    bufs_.clear();
    for (std::size_t i = 0; i < batch_; ++i) {
      auto& it = items[i];
      if (!it.frame) {
        bufs_.emplace_back(it.raw.data(), it.raw.size());
        continue;
      }
      if (it.frame->event_id.empty()) {
        bufs_.emplace_back(prefix.data(), prefix.size());
      } else {
        bufs_.emplace_back(prefix_with_id.data(), prefix_with_id.size());
        bufs_.emplace_back(it.frame->event_id.data(), it.frame->event_id.size());
        bufs_.emplace_back("\ndata: ", 7);
      }
      bufs_.emplace_back(it.frame->json.data(), it.frame->json.size());
      bufs_.emplace_back("\n\n", 2);
    }
    net::async_write(socket_, bufs_, [self = shared_from_this()](auto ec, std::size_t) {
      self->writing_ = false;
      if (ec) return self->gone();
      self->queue_.pop_front(self->batch_);
      if (!self->queue_.empty()) return self->write();
      if (self->closing_) self->gone();
    });
  }

  void gone() {
    if (dead_) return;
    dead_ = true;
    ping_timer_.cancel();
    if (conn_) {
      caf::anon_send(conn_, close_atom::value);
      conn_ = nullptr;
    }
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  tcp::socket socket_;
  session_env& env_;
  std::uint64_t id_;
  net::steady_timer ping_timer_;
  out_queue queue_;
  caf::actor conn_;
  std::array<char, 64> rbuf_;
  std::vector<frame_ptr> held_;
  std::vector<net::const_buffer> bufs_;
  std::size_t batch_ = 0;
  bool synced_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool dead_ = false;
};

}  // namespace

void start_sse_session(tcp::socket socket, session_env& env, std::uint64_t id,
                       connection_params params) {
  std::make_shared<sse_session>(std::move(socket), env, id)->start(std::move(params));
}

}  // namespace relay
