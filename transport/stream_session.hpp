#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/actor.hpp>

#include "actors/chat/connection.hpp"
#include "transport/drain_queue.hpp"
#include "transport/out_queue.hpp"
#include "transport/session_env.hpp"

namespace relay {

/// What WebSocket and SSE sessions share: the sink side actors push to, the
/// hold-until-sync rule, the bounded outbound queue, and batched gathered writes.
/// Everything but the sink members runs on the socket's I/O thread (its shard).
class stream_session : public client_sink, public std::enable_shared_from_this<stream_session> {
 public:
  stream_session(boost::asio::ip::tcp::socket&& s, session_env& env, std::uint64_t id,
                 metrics::conn_class cls);
  ~stream_session() override;

  // -- client_sink (any thread) ---------------------------------------------------

  std::uint64_t id() const noexcept override { return id_; }
  void push(frame_ptr f) override;
  void push_sync(frame_ptr f, std::map<std::string, std::int64_t> have) override;
  void close(std::uint16_t code, std::string reason) override;
  bool congested() const noexcept override;
  std::size_t headroom() const noexcept override;
  fanout_lane* lane() const noexcept override { return &drains_; }

 protected:
  using buffers = std::vector<boost::asio::const_buffer>;

  /// Frames gathered into one write: enough to amortise the syscall, few enough that
  /// one slow write does not hold a large batch.
  static constexpr std::size_t max_batch = 64;

  /// A client whose socket is taking bytes may queue `limits().burst` times its caps
  /// while a burst (many senders at once) goes out; one whose write has been stuck for
  /// `stuck_write` is held to the caps. Slow means not reading, not merely behind.
  static constexpr std::int64_t stuck_write_ns = 250'000'000;

  /// Spawns the connection actor with this session as its sink.
  void attach(connection_params params);
  /// Spawns another kind of actor for this session (agent relay). Its frames are not
  /// held for a sync: they go out as they come.
  void attach(const std::function<caf::actor(sink_ptr)>& spawn);

  /// Appends the wire form of queued item `i` of the current batch to `out`.
  virtual void frame_into(const out_item& item, std::size_t i, buffers& out) = 0;
  /// Starts an orderly close (after the queue drains), e.g. a WebSocket close frame.
  virtual void start_close(std::uint16_t code, std::string_view reason) = 0;
  /// Called when the queue has drained while closing.
  virtual void drained_while_closing() = 0;

  /// Queues an item; a full queue closes the client as a slow consumer (4008). With
  /// `start_write` false the caller starts the write (kick) after queueing a batch.
  void enqueue(out_item item, bool start_write = true);
  /// Starts a write unless one is running (for items queued with force_push).
  void kick() {
    if (!writing_ && !queue_.empty()) write();
  }
  /// True while more than half the outbound cap waits for this client.
  bool behind() const noexcept;
  /// True unless a write has been waiting on the socket for `stuck_write_ns`.
  bool taking_bytes() const noexcept;
  /// Called after a write once the client is back under a quarter of its cap.
  virtual void caught_up() {}
  /// The sync is about to be queued; `have` is where it leaves the client (push_sync).
  virtual void syncing(std::map<std::string, std::int64_t> /*have*/) {}
  /// Tells the connection actor the client is gone (once).
  void detach();
  /// The socket is unusable: detach and close it.
  void gone();
  /// The connection actor, for inbound frames.
  const caf::actor& conn() const noexcept { return conn_; }

  boost::asio::ip::tcp::socket socket_;
  session_env& env_;
  out_queue queue_;
  bool writing_ = false;
  bool closing_ = false;
  bool dead_ = false;
  std::size_t batch_ = 0;  // items of the queue in the running write
  std::int64_t write_started_ns_ = 0;

 private:
  friend class drain_queue;

  void hold(frame_ptr f);
  /// Appends to the inbox (inbox_mu_ held); true when the session must be scheduled
  /// for a drain. Past the burst allowance it starts a slow-consumer close instead.
  bool inbox_append(frame_ptr&& f);
  /// Moves what actors pushed (the inbox) into the queue, then writes.
  void drain();
  /// push() from this session's I/O thread (a lane's broadcasts, in order): straight to
  /// the queue and the socket, in one write, unless earlier frames still wait in the
  /// inbox.
  void push_here(std::span<const frame_ptr> fs);
  void write();
  /// Writes the rest of a batch the socket took only `sent` bytes of, asynchronously.
  void write_rest(std::size_t sent);
  /// Closes the socket unless the pending write makes progress within write_timeout.
  void watch_write();
  /// Retires the written batch; true when more is queued and nothing is writing.
  bool written();
  /// Counts the frames of the finished write and their creation-to-write latency.
  void delivered();

  /// Mirrors the queue's size into queued_bytes_ and relay_queued_bytes.
  void note_queue_bytes();
  /// Counts a slow-consumer close (once per connection).
  void note_slow_close();

  std::uint64_t id_;
  metrics::conn_class cls_;
  bool slow_noted_ = false;
  // Frames pushed by actors but not yet moved to the queue on the I/O thread. They count
  // against the caps too: when the I/O thread itself falls behind, memory must stay
  // bounded.
  std::mutex inbox_mu_;
  std::vector<frame_ptr> inbox_;
  std::vector<frame_ptr> draining_;  // swapped with inbox_ so neither reallocates
  std::size_t inbox_bytes_ = 0;
  drain_queue& drains_;  // of this socket's I/O thread; also its fanout lane
  bool drain_posted_ = false;
  std::atomic<std::size_t> posted_bytes_{0};  // inbox_bytes_, for other threads
  std::atomic<bool> overflowed_{false};
  // Bytes in queue_, mirrored for `congested()` from other threads.
  std::atomic<std::size_t> queued_bytes_{0};
  std::size_t reported_bytes_ = 0;  // this session's share of relay_queued_bytes
  caf::actor conn_;
  boost::asio::steady_timer stall_timer_;  // armed only while a write waits on the socket
  std::vector<frame_ptr> held_;
  std::size_t held_bytes_ = 0;
  bool synced_ = false;
  buffers bufs_;
};

}  // namespace relay
