#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace relay::storage {

/// An uploaded file bound to one entity (for now a message). The bytes are stored by
/// their sha256: under the data directory on one node, in Postgres in cluster mode.
struct attachment_row {
  std::string id;  // att_…
  std::string uploader_id;
  std::string entity_type;                    // "message"
  std::string entity_id;                      // msg_…
  std::string content_type;                   // detected from the bytes, never the client's word
  std::int64_t size = 0;                      // bytes stored (the WebP for images)
  std::optional<std::int64_t> width, height;  // images only
  std::string name;    // the client's file name, sanitized; only ever shown, never a path
  std::string sha256;  // hex of the stored bytes
  std::int64_t created_at = 0;
};

/// What an attachment's access check needs of the message it is bound to.
struct attachment_owner {
  std::string room_slug;
  std::string channel_id;  // "" for the room-wide thread
  std::string author_id;
};

}  // namespace relay::storage
