#pragma once

#include <string>
#include <string_view>

namespace relay {

/// Every failure Relay reports to a client. Errors are values inside; only the
/// codecs turn them into `{"error","code"}` bodies, frames and HTTP statuses.
enum class errc {
  none = 0,
  bad_request,        // malformed JSON, wrong field types
  invalid_frame,      // WS frame that is not a known client frame
  missing_field,      // a required field is absent
  content_empty,      // trimmed content is empty
  content_too_long,   // trimmed content > 4000 characters
  payload_too_large,  // inbound frame / body over the cap
  invalid_utf8,       // bytes that are not UTF-8
  unauthorized,       // no or invalid credentials
  forbidden,          // authenticated but not allowed
  not_found,          // unknown id, slug or path (and forbidden-but-hidden)
  conflict,           // slug taken, reserved, duplicate
  rate_limited,
  method_not_allowed,
  unavailable,  // storage down, shutting down
  internal,
  hall_closed,    // joining a hall that was closed (409)
  hall_full,      // a hall at its max_participants (409)
  invalid_role,   // a hall role other than publisher | subscriber (422)
  invalid_image,  // an upload that claims an image format but cannot be decoded (422)
};

/// UPPER_SNAKE code sent to clients, e.g. "CONTENT_TOO_LONG".
std::string_view code_name(errc e) noexcept;

/// HTTP status that fits the error (400, 401, 403, 404, 409, 413, 422, 429, 500, 503).
int http_status(errc e) noexcept;

/// An error value with a human explanation.
struct error_info {
  errc code = errc::none;
  std::string message;
  // Nothing of the failed work happened and the same work may run again as it is: the
  // database broke a deadlock or a serialization conflict between transactions by
  // rolling this one back.
  bool retry = false;

  explicit operator bool() const noexcept { return code != errc::none; }
};

inline error_info make_error(errc code, std::string message) {
  return {code, std::move(message)};
}

}  // namespace relay
