#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace relay {

/// A server → client frame, encoded once and shared by every recipient.
struct encoded_frame {
  std::string json;        // the JSON object, no trailing newline
  std::string event_id;    // SSE `id:` (e.g. "__lobby:12"); empty for events without one
  bool ephemeral = false;  // typing/presence: first to go when a client is slow
  // Frames with the same key supersede each other: a slow client's queue keeps only
  // the newest (e.g. one user's typing in one channel). Empty: never coalesced.
  std::string coalesce_key;
  std::int64_t born_ns = steady_ns();  // for relay_delivery_latency_seconds

  static std::int64_t steady_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};
using frame_ptr = std::shared_ptr<const encoded_frame>;

inline frame_ptr make_frame(std::string json, std::string event_id = {}, bool ephemeral = false,
                            std::string coalesce_key = {}) {
  return std::make_shared<const encoded_frame>(
      encoded_frame{std::move(json), std::move(event_id), ephemeral, std::move(coalesce_key)});
}

class client_sink;
using sink_ptr = std::shared_ptr<client_sink>;

/// Where one frame for many sinks is handed over in one piece: the I/O thread they
/// share. A broadcast then costs the actor one hand-over per thread, not a push per
/// recipient, and the thread queues it for each of them without taking turns with the
/// actor on their locks.
class fanout_lane {
 public:
  virtual ~fanout_lane() = default;
  /// Queues `f` for every sink of `to` (all of this lane), after whatever each was
  /// pushed before; thread-safe.
  virtual void deliver(frame_ptr f, std::shared_ptr<const std::vector<sink_ptr>> to) = 0;
};

/// Where an actor sends a client's outbound frames: a WebSocket or SSE session.
/// Implemented in transport/; every member is thread-safe (it posts onto the
/// session's I/O thread), so actors call it without waiting.
class client_sink {
 public:
  virtual ~client_sink() = default;

  /// Process-unique id, used as the subscriber key.
  virtual std::uint64_t id() const noexcept = 0;

  /// Queues a live frame. Until `push_sync` is called live frames are held back so
  /// the client always sees `sync` first.
  virtual void push(frame_ptr f) = 0;

  /// Queues the sync frame, then every live frame held back so far. `have`: where the
  /// client is in each channel (wire keys, e.g. `__lobby`) once it has this sync, for
  /// sinks that log what they wrote (SSE resumes).
  virtual void push_sync(frame_ptr f, std::map<std::string, std::int64_t> have) = 0;

  /// Sends a close (WebSocket close code; SSE just ends) after what is queued.
  virtual void close(std::uint16_t code, std::string reason) = 0;

  /// True while the client is behind: more than half its outbound cap is queued. Used
  /// by producers that can wait (agent streams) instead of losing the client.
  virtual bool congested() const noexcept { return false; }

  /// Bytes that can still be queued before the client counts as behind (half its
  /// outbound cap): how much of a resume may be paged into its queue now.
  virtual std::size_t headroom() const noexcept { return std::size_t(-1); }

  /// Stops (true) or resumes (false) reading from this client's socket: TCP then
  /// pushes back on the peer, which is how an agent is slowed to its app's pace.
  virtual void pause_reading(bool) {}

  /// The actor side is done with `bytes` of this client's inbound frames (every decoded
  /// frame carries its size). A socket reads ahead only so far past what was consumed,
  /// so a fast sender cannot fill an actor's mailbox.
  virtual void consumed(std::size_t /*bytes*/) {}

  /// The lane broadcasts to this sink may take (see fanout_lane); null: push each.
  virtual fanout_lane* lane() const noexcept { return nullptr; }
};

}  // namespace relay
