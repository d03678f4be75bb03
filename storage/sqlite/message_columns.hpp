#pragma once

// A message as the SQLite store's reads select it: history (messages.cpp), search
// hits (search.cpp) and thread replies (threads.cpp) share these first 14 columns, in
// this order:
// id, room_id, channel_id, seq, author id, login, name, avatar_url, content,
// client_msg_id, created_at, edited_at, thread_id, bot.

#include "storage/rows.hpp"
#include "storage/sqlite/statement.hpp"

namespace relay::storage::sqlite {

inline message_row read_message(const detail::statement& st) {
  message_row m;
  m.id = st.text(0);
  m.room_id = st.text(1);
  m.channel_id = st.text(2);
  m.seq = st.int64(3);
  m.author = {st.text(4), st.text(5), st.text(6), st.text(7)};
  m.content = st.text(8);
  m.client_msg_id = st.text(9);
  m.created_at = st.int64(10);
  m.edited_at = st.opt_int64(11);
  m.thread_id = st.text(12);
  m.bot = st.text(13);
  return m;
}

}  // namespace relay::storage::sqlite
