#include "transport/stream_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <caf/all.hpp>

#include "core/clock.hpp"
#include "core/log_limiter.hpp"

namespace relay {

namespace net = boost::asio;

stream_session::stream_session(net::ip::tcp::socket&& s, session_env& env, std::uint64_t id,
                               metrics::conn_class cls)
    : socket_(std::move(s)),
      env_(env),
      queue_(limits_for(*env.cfg, cls)),
      id_(id),
      cls_(cls),
      drains_(net::use_service<drain_queue>(socket_.get_executor().context())),
      stall_timer_(socket_.get_executor()) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);  // writes try the socket first (write())
  metrics::get().connections[static_cast<std::size_t>(cls_)].add(1);
}

stream_session::~stream_session() {
  auto& m = metrics::get();
  m.connections[static_cast<std::size_t>(cls_)].add(-1);
  m.queued_bytes[static_cast<std::size_t>(cls_)].add(-static_cast<std::int64_t>(reported_bytes_));
}

void stream_session::note_queue_bytes() {
  queued_bytes_.store(queue_.bytes(), std::memory_order_relaxed);
  auto now = queue_.total_bytes();
  metrics::get().queued_bytes[static_cast<std::size_t>(cls_)].add(
      static_cast<std::int64_t>(now) - static_cast<std::int64_t>(reported_bytes_));
  reported_bytes_ = now;
}

void stream_session::note_slow_close() {
  if (slow_noted_) return;
  slow_noted_ = true;
  metrics::get().slow_consumer_closes[static_cast<std::size_t>(cls_)].inc();
}

void stream_session::attach(connection_params params) {
  params.sink = shared_from_this();
  conn_ = spawn_connection(*env_.sys, std::move(params));
}

void stream_session::attach(const std::function<caf::actor(sink_ptr)>& spawn) {
  synced_ = true;
  conn_ = spawn(shared_from_this());
}

bool stream_session::inbox_append(frame_ptr&& f) {
  auto n = f->json.size();
  auto& lim = queue_.limits();  // fixed at construction, so safe from any thread
  // Only the I/O thread falling behind fills the inbox (it is drained whatever the
  // client does), so it gets the burst allowance.
  if (!inbox_.empty() &&
      (inbox_bytes_ + n > lim.bytes * lim.burst || inbox_.size() + 1 > lim.frames * lim.burst)) {
    if (!overflowed_.exchange(true))
      net::post(socket_.get_executor(), [self = shared_from_this()] {
        self->note_slow_close();
        self->start_close(4008, "slow consumer");
      });
    return false;
  }
  inbox_bytes_ += n;
  inbox_.push_back(std::move(f));
  posted_bytes_.store(inbox_bytes_, std::memory_order_relaxed);
  bool schedule = !drain_posted_;
  drain_posted_ = true;
  return schedule;
}

void stream_session::push(frame_ptr f) {
  bool schedule;
  {
    std::lock_guard lock{inbox_mu_};
    schedule = inbox_append(std::move(f));
  }
  // One drain per burst, not per frame, and one handler per I/O thread for all the
  // sessions a burst reached: write completions are not queued behind hundreds of
  // thousands of single-frame handlers.
  if (schedule) drains_.schedule(shared_from_this());
}

void stream_session::push_here(std::span<const frame_ptr> fs) {
  // Frames pushed before these wait for their drain (already scheduled): keep the
  // order by waiting behind them. Such a push happened before the lane's hand-over, so
  // its bytes (a frame is a JSON object, never empty) are visible here without the
  // lock, and an empty inbox (the usual case in a broadcast) costs no lock. A push
  // racing this one from another thread has no order with it either way.
  if (posted_bytes_.load(std::memory_order_relaxed) != 0) {
    std::lock_guard lock{inbox_mu_};
    if (!inbox_.empty()) {
      for (auto& f : fs) inbox_append(frame_ptr{f});
      return;
    }
  }
  if (!synced_) {
    for (auto& f : fs) hold(f);
    return;
  }
  for (auto& f : fs) enqueue({f, {}}, false);
  kick();
}

void stream_session::drain() {
  {
    std::lock_guard lock{inbox_mu_};
    draining_.swap(inbox_);
    inbox_bytes_ = 0;
    posted_bytes_.store(0, std::memory_order_relaxed);
    drain_posted_ = false;
  }
  for (auto& f : draining_) {
    if (!synced_)
      hold(std::move(f));
    else
      enqueue({std::move(f), {}}, false);
  }
  // Keep a small buffer for the next burst; give a big one back (idle connections
  // must stay small).
  if (draining_.capacity() > 16)
    std::vector<frame_ptr>{}.swap(draining_);
  else
    draining_.clear();
  kick();
}

void stream_session::push_sync(frame_ptr f, std::map<std::string, std::int64_t> have) {
  net::post(socket_.get_executor(),
            [self = shared_from_this(), f = std::move(f), have = std::move(have)]() mutable {
              self->syncing(std::move(have));
              self->synced_ = true;
              self->enqueue({std::move(f), {}, true});
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
  // Only the block policy holds producers back; the others shed or disconnect.
  if (queue_.limits().policy != overflow_policy::block) return false;
  auto backlog =
      posted_bytes_.load(std::memory_order_relaxed) + queued_bytes_.load(std::memory_order_relaxed);
  return backlog > queue_.limits().bytes / 2;
}

bool stream_session::behind() const noexcept {
  return headroom() == 0;
}

bool stream_session::taking_bytes() const noexcept {
  return !writing_ || encoded_frame::steady_ns() - write_started_ns_ < stuck_write_ns;
}

std::size_t stream_session::headroom() const noexcept {
  auto backlog =
      posted_bytes_.load(std::memory_order_relaxed) + queued_bytes_.load(std::memory_order_relaxed);
  auto high_water = queue_.limits().bytes / 2;
  return backlog >= high_water ? 0 : high_water - backlog;
}

void stream_session::hold(frame_ptr f) {
  // The client sees nothing before sync; what waits for it obeys the same cap.
  held_bytes_ += f->json.size();
  if (held_bytes_ > queue_.limits().bytes) {
    note_slow_close();
    return start_close(4008, "slow consumer");
  }
  held_.push_back(std::move(f));
}

void stream_session::enqueue(out_item item, bool start_write) {
  if (closing_ || dead_) return;
  // Under block the producer is being paused, not the reader judged: what was already on
  // its way when the pause went out (a Redis hop away in a cluster) still has to fit.
  const bool allowance = taking_bytes() || queue_.limits().policy == overflow_policy::block;
  switch (
      queue_.push(std::move(item), writing_ ? batch_ : 0, allowance ? queue_.limits().burst : 1)) {
    case out_queue::verdict::queued:
      break;
    case out_queue::verdict::dropped:
      metrics::get().dropped_ephemeral.inc();
      return;
    case out_queue::verdict::coalesced:
      metrics::get().dropped_coalesced.inc();
      break;
    case out_queue::verdict::overflow:
      static log_limiter limiter{10'000};
      if (auto v = limiter.admit(now_ms()); v.log)
        spdlog::info("closing slow consumer (connection {}, {} bytes queued; {} more since)", id_,
                     queue_.bytes(), v.suppressed);
      queue_.truncate(writing_ ? batch_ : 0);  // a running write keeps its items
      note_queue_bytes();
      note_slow_close();
      return start_close(4008, "slow consumer");
  }
  note_queue_bytes();
  if (start_write && !writing_) write();
}

void stream_session::write() {
  // Most writes go out whole at once: try the socket directly and go asynchronous only
  // for what it does not take (one syscall per batch, no handler, no completion post).
  while (!queue_.empty()) {
    writing_ = true;
    write_started_ns_ = encoded_frame::steady_ns();
    auto& items = queue_.items();
    batch_ = std::min(items.size(), max_batch);
    auto& m = metrics::get();
    m.queue_frames.observe(static_cast<double>(items.size()));
    m.queue_bytes.observe(static_cast<double>(queue_.total_bytes()));
    bufs_.clear();
    for (std::size_t i = 0; i < batch_; ++i) frame_into(items[i], i, bufs_);
    boost::system::error_code ec;
    auto sent = socket_.write_some(bufs_, ec);  // the socket is non-blocking
    if (ec && ec != net::error::would_block && ec != net::error::try_again) {
      writing_ = false;
      return gone();
    }
    if (sent < net::buffer_size(bufs_)) return write_rest(sent);
    if (!written()) return;
  }
}

void stream_session::write_rest(std::size_t sent) {
  // Drop what the socket took; payloads are shared, never copied.
  auto it = bufs_.begin();
  while (sent > 0 && sent >= it->size()) sent -= (it++)->size();
  it->operator+=(sent);
  bufs_.erase(bufs_.begin(), it);
  // One piece at a time so that each piece the socket takes restarts the stall timer.
  watch_write();
  socket_.async_write_some(bufs_, [self = shared_from_this()](auto ec, std::size_t n) {
    if (ec) {
      self->writing_ = false;
      return self->gone();
    }
    if (n < net::buffer_size(self->bufs_)) return self->write_rest(n);
    self->stall_timer_.cancel();
    if (self->written()) self->write();
  });
}

void stream_session::watch_write() {
  // A client that stops reading would otherwise hold its socket, and what is queued for
  // it, for as long as it likes: the queue caps bound the bytes, not the time. Reading
  // slowly is fine; taking nothing for write_timeout_seconds is not.
  stall_timer_.expires_after(std::chrono::seconds(env_.cfg->write_timeout_seconds));
  stall_timer_.async_wait([weak = weak_from_this()](auto ec) {
    auto self = weak.lock();
    if (ec || !self || self->dead_) return;
    // Any client can cause this line, once per connection it opens: rate limited.
    static log_limiter limiter{10'000};
    if (auto v = limiter.admit(now_ms()); v.log)
      spdlog::info("closing connection {}: its socket took nothing for {} s ({} more since)",
                   self->id_, self->env_.cfg->write_timeout_seconds, v.suppressed);
    self->note_slow_close();
    self->gone();
  });
}

bool stream_session::written() {
  writing_ = false;
  delivered();
  queue_.pop_front(batch_);
  note_queue_bytes();
  if (queue_.bytes() < queue_.limits().bytes / 4) caught_up();
  if (!queue_.empty()) return !writing_;
  if (closing_) drained_while_closing();
  return false;
}

void stream_session::delivered() {
  auto now = encoded_frame::steady_ns();
  auto& items = queue_.items();
  metrics::histogram::tally t(metrics::get().delivery_seconds);
  std::size_t frames = 0;
  for (std::size_t i = 0; i < batch_ && i < items.size(); ++i) {
    if (!items[i].frame) continue;
    ++frames;
    t.add(static_cast<double>(now - items[i].frame->born_ns) / 1e9);
  }
  metrics::get().deliveries.inc(frames);
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
