// Board events in a room. The REST handlers (api/boards.cpp) write boards through the
// store and check access themselves; what they need of the room is its clients: a
// committed change's event goes to everyone let into the room, WebSocket and SSE alike.
// It travels as a frame of the room-wide thread, which every client in the room
// subscribes to, so in cluster mode the existing `frame` event carries it to the other
// nodes' clients unchanged.

#include "actors/chat/room_state.hpp"
#include "actors/sink.hpp"

namespace relay {

room_boards_actor::behavior_type room_boards(room_self self) {
  return {
      [=](board_atom, std::string& text) {
        auto& st = self->state;
        if (auto it = st.channels.find(""); it != st.channels.end())
          self->send(it->second.actor, broadcast_atom::value, make_frame(text));
        if (st.p.cluster) {
          codec::cluster_event e;
          e.what = codec::cluster_event::kind::frame;
          e.room_id = st.p.row.id;
          e.channel_id = "";
          e.text = std::move(text);
          st.p.cluster->publish(std::move(e));
        }
      },
  };
}

}  // namespace relay
