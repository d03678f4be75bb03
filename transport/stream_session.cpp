#include "transport/stream_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <caf/all.hpp>

namespace relay {

namespace net = boost::asio;

stream_session::stream_session(net::ip::tcp::socket&& s, session_env& env, std::uint64_t id)
    : socket_(std::move(s)),
      env_(env),
      queue_(static_cast<std::size_t>(env.cfg->out_queue_bytes),
             static_cast<std::size_t>(env.cfg->out_queue_frames)),
      id_(id) {}

stream_session::~stream_session() = default;

void stream_session::attach(connection_params params) {
  params.sink = shared_from_this();
  conn_ = spawn_connection(*env_.sys, std::move(params));
}

void stream_session::attach(const std::function<caf::actor(sink_ptr)>& spawn) {
  synced_ = true;
  conn_ = spawn(shared_from_this());
}

void stream_session::push(frame_ptr f) {
  auto n = f->json.size();
  auto before = posted_bytes_.fetch_add(n, std::memory_order_relaxed);
  auto frames = posted_frames_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (before > 0 && (before + n > static_cast<std::size_t>(env_.cfg->out_queue_bytes) ||
                     frames > static_cast<std::size_t>(env_.cfg->out_queue_frames))) {
    posted_bytes_.fetch_sub(n, std::memory_order_relaxed);
    posted_frames_.fetch_sub(1, std::memory_order_relaxed);
    if (!overflowed_.exchange(true)) close(4008, "slow consumer");
    return;
  }
  net::post(socket_.get_executor(), [self = shared_from_this(), f = std::move(f)]() mutable {
    self->posted_bytes_.fetch_sub(f->json.size(), std::memory_order_relaxed);
    self->posted_frames_.fetch_sub(1, std::memory_order_relaxed);
    if (!self->synced_) return self->hold(std::move(f));
    self->enqueue({std::move(f), {}});
  });
}

void stream_session::push_sync(frame_ptr f) {
  net::post(socket_.get_executor(), [self = shared_from_this(), f = std::move(f)]() mutable {
    self->synced_ = true;
    self->enqueue({std::move(f), {}});
    auto held = std::move(self->held_);
    self->held_bytes_ = 0;
    for (auto& h : held) self->enqueue({std::move(h), {}});
  });
}

void stream_session::close(std::uint16_t code, std::string reason) {
  net::post(socket_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)] {
    self->start_close(code, reason);
  });
}

bool stream_session::congested() const noexcept {
  auto backlog =
      posted_bytes_.load(std::memory_order_relaxed) + queued_bytes_.load(std::memory_order_relaxed);
  return backlog > static_cast<std::size_t>(env_.cfg->out_queue_bytes) / 2;
}

void stream_session::hold(frame_ptr f) {
  // The client sees nothing before sync; what waits for it obeys the same cap.
  held_bytes_ += f->json.size();
  if (held_bytes_ > static_cast<std::size_t>(env_.cfg->out_queue_bytes))
    return start_close(4008, "slow consumer");
  held_.push_back(std::move(f));
}

void stream_session::enqueue(out_item item) {
  if (closing_ || dead_) return;
  switch (queue_.push(std::move(item))) {
    case out_queue::verdict::queued:
      break;
    case out_queue::verdict::dropped:
      return;
    case out_queue::verdict::overflow:
      spdlog::info("closing slow consumer (connection {}, {} bytes queued)", id_, queue_.bytes());
      queue_.truncate(writing_ ? batch_ : 0);  // a running write keeps its items
      return start_close(4008, "slow consumer");
  }
  queued_bytes_.store(queue_.bytes(), std::memory_order_relaxed);
  if (!writing_) write();
}

void stream_session::write() {
  writing_ = true;
  auto& items = queue_.items();
  batch_ = std::min(items.size(), max_batch);
  bufs_.clear();
  for (std::size_t i = 0; i < batch_; ++i) frame_into(items[i], i, bufs_);
  // One gathered write for the whole batch; payloads are shared, never copied.
  net::async_write(socket_, bufs_, [self = shared_from_this()](auto ec, std::size_t) {
    self->writing_ = false;
    if (ec) return self->gone();
    self->queue_.pop_front(self->batch_);
    self->queued_bytes_.store(self->queue_.bytes(), std::memory_order_relaxed);
    if (!self->queue_.empty()) return self->write();
    if (self->closing_) self->drained_while_closing();
  });
}

void stream_session::detach() {
  if (conn_) {
    caf::anon_send(conn_, close_atom::value);
    conn_ = nullptr;
  }
}

void stream_session::gone() {
  if (dead_) return;
  dead_ = true;
  detach();
  boost::system::error_code ec;
  socket_.close(ec);
}

}  // namespace relay
