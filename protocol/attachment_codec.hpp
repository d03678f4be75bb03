#pragma once

// What an upload is, told from its bytes; the file name a client sent, made safe to
// show; and the JSON of an attachment (docs/api.md, "Attachments").

#include <string>
#include <string_view>
#include <vector>

#include "storage/attachment_rows.hpp"

namespace relay::codec {

/// What the bytes are, by their magic numbers: the part's Content-Type is never asked.
struct sniffed {
  std::string content_type;  ///< e.g. "image/png", "application/pdf", "text/plain; charset=utf-8"
  bool image = false;        ///< one libvips re-encodes (JPEG, PNG, GIF, WebP, HEIC/AVIF)
};
sniffed sniff_content_type(std::string_view bytes);

/// A file name fit for a Content-Disposition header and for display: the last path
/// segment only, no control characters, quotes, backslashes or slashes, no leading dots,
/// at most 120 bytes of whole UTF-8 characters; "file" when nothing is left.
std::string safe_file_name(std::string_view name);

/// `Content-Disposition: attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an
/// ASCII fallback and the UTF-8 name percent-encoded.
std::string content_disposition(const std::string& safe_name);

/// `{id, contentType, size, width, height, name, entityType, entityId, createdAt, url}`.
std::string encode_attachment(const storage::attachment_row& a);
/// The live event of a new attachment: `{type: "attachment_added", channelId (null for
/// the room-wide thread), messageId, attachment: {id, contentType, size, width, height,
/// name, url}}`.
std::string encode_attachment_added(const std::string& channel_id,
                                    const storage::attachment_row& a);

/// A page of history (encode_message_page's JSON) with each message's `attachments`:
/// the short form `{id, contentType, size, width, height, name, url}` of the rows bound
/// to it, oldest first, `[]` when none. Applied to REST history only, so the hot paths
/// that encode messages (fan-out, sync) stay as they are.
std::string with_attachments(std::string_view page_json,
                             const std::vector<storage::attachment_row>& rows);

}  // namespace relay::codec
