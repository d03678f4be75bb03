#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "storage/rows.hpp"

namespace relay {

/// How much of a resume goes out at once (docs/backpressure.md). A client far behind
/// gets one page per channel in its `sync`, then the rest as `message` frames, a page
/// at a time while its queue has room: its backlog never sits in server memory whole,
/// and live frames cannot overflow its queue behind a huge sync.
struct resume_page {
  std::size_t messages = 256;
  std::size_t bytes = 256 * 1024;
};

/// Bytes a message adds to a page: what varies with the message (content, author,
/// client id, bot tag, reactions) and the rest of its JSON object, about 400 bytes of
/// keys, ids and timestamps (json_codec's message object; more than content alone once
/// it carried threads and reactions, which integration.backpressure caught).
inline std::size_t page_cost(const storage::message_row& m) {
  std::size_t bytes = 448 + m.content.size() + m.author.login.size() + m.author.name.size() +
                      m.author.avatar_url.size() + m.client_msg_id.size() + m.bot.size();
  for (auto& r : m.reactions) {
    bytes += r.emoji.size() + 8;
    for (auto& l : r.logins) bytes += l.size() + 3;
  }
  return bytes;
}

/// What a page of messages costs (the sum of page_cost).
inline std::size_t page_bytes(const std::vector<storage::message_row>& ms) {
  std::size_t bytes = 0;
  for (auto& m : ms) bytes += page_cost(m);
  return bytes;
}

/// Keeps the oldest messages of `ms` that fit `max_messages` and `max_bytes` (always at
/// least one). True if all of them fit.
inline bool fit_page(std::vector<storage::message_row>& ms, std::size_t max_messages,
                     std::size_t max_bytes) {
  std::size_t n = 0, bytes = 0;
  while (n < ms.size() && n < std::max<std::size_t>(max_messages, 1)) {
    bytes += page_cost(ms[n]);
    if (n > 0 && bytes > max_bytes) break;
    ++n;
  }
  if (n == ms.size()) return true;
  ms.resize(n);
  return false;
}

}  // namespace relay
