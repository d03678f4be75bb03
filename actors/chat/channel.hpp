#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/chat/fwd.hpp"
#include "actors/fwd.hpp"
#include "actors/sink.hpp"
#include "storage/rows.hpp"

namespace relay {

struct channel_params {
  std::string room_id;
  storage::channel_row row;  // row.id "" = the room-wide thread
  store_writer_actor writer;
  caf::actor readers;
  int ring_messages = 256;
  int sync_messages = 20;
  std::int64_t page_cache_bytes = 0;  // store pages kept for resumes (0: none)
  bool fresh = false;                 // just created: nothing to load from the store
  room_actor room;                    // told about committed messages that mention someone
  cluster::link_ptr cluster;          // cluster mode: the other nodes (null on one node)
};

/// One channel of a room (or the room-wide thread): the point of order for its
/// messages. It forwards posts to the store writer, and once a message is durable
/// keeps it in a ring of recent messages and fans it out, encoded once, to every
/// subscriber's sink. What it accepts and answers is `channel_actor` (actors/chat/fwd.hpp).
///
/// A committed message containing '@' is also sent to the room as
/// `(mention_atom, storage::message_row)`.
///
/// In cluster mode the channel actors of every node are points of order for the same
/// channel: each shows its own node's messages once committed and the others' as the
/// bridge hands them over, always in seq order (see `deliver` in channel.cpp).
channel_actor spawn_channel(caf::local_actor* parent, channel_params params);

/// A committed message as its `message` frame (SSE id `<channel>:<seq>`), whether it
/// goes out live or in a resume page.
frame_ptr message_frame(const storage::message_row& m);

}  // namespace relay
