#pragma once

// A message as the Postgres store's reads select it: history (messages.cpp), search
// hits (search.cpp) and thread replies (threads.cpp) share these first 14 columns, in
// this order:
// id, room_id, channel_id, seq, author id, login, name, avatar_url, content (bytea),
// client_msg_id, created_at, edited_at, thread_id, bot.

#include <pqxx/pqxx>

#include <cstdint>
#include <string>

#include "storage/rows.hpp"

namespace relay::storage::postgres {

inline message_row read_message(const pqxx::row& r) {
  message_row m;
  m.id = r[0].as<std::string>();
  m.room_id = r[1].as<std::string>();
  m.channel_id = r[2].as<std::string>();
  m.seq = r[3].as<std::int64_t>();
  m.author = {r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<std::string>(),
              r[7].as<std::string>()};
  m.content = pqxx::binarystring(r[8]).str();
  m.client_msg_id = r[9].as<std::string>();
  m.created_at = r[10].as<std::int64_t>();
  if (!r[11].is_null()) m.edited_at = r[11].as<std::int64_t>();
  m.thread_id = r[12].as<std::string>();
  m.bot = r[13].as<std::string>();
  return m;
}

}  // namespace relay::storage::postgres
