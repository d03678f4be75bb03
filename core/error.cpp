#include "core/error.hpp"

namespace relay {

std::string_view code_name(errc e) noexcept {
  switch (e) {
    case errc::none:
      return "OK";
    case errc::bad_request:
      return "BAD_REQUEST";
    case errc::invalid_frame:
      return "INVALID_FRAME";
    case errc::missing_field:
      return "MISSING_FIELD";
    case errc::content_empty:
      return "CONTENT_EMPTY";
    case errc::content_too_long:
      return "CONTENT_TOO_LONG";
    case errc::payload_too_large:
      return "PAYLOAD_TOO_LARGE";
    case errc::invalid_utf8:
      return "INVALID_UTF8";
    case errc::unauthorized:
      return "UNAUTHORIZED";
    case errc::forbidden:
      return "FORBIDDEN";
    case errc::not_found:
      return "NOT_FOUND";
    case errc::conflict:
      return "CONFLICT";
    case errc::rate_limited:
      return "RATE_LIMITED";
    case errc::method_not_allowed:
      return "METHOD_NOT_ALLOWED";
    case errc::unavailable:
      return "UNAVAILABLE";
    case errc::internal:
      return "INTERNAL_ERROR";
    case errc::hall_closed:
      return "HALL_CLOSED";
    case errc::hall_full:
      return "HALL_FULL";
    case errc::invalid_role:
      return "INVALID_ROLE";
    case errc::invalid_image:
      return "INVALID_IMAGE";
  }
  return "INTERNAL_ERROR";
}

int http_status(errc e) noexcept {
  switch (e) {
    case errc::none:
      return 200;
    case errc::bad_request:
    case errc::invalid_frame:
    case errc::missing_field:
    case errc::content_empty:
    case errc::content_too_long:
    case errc::invalid_utf8:
      return 400;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::method_not_allowed:
      return 405;
    case errc::conflict:
    case errc::hall_closed:
    case errc::hall_full:
      return 409;
    case errc::invalid_role:
    case errc::invalid_image:
      return 422;
    case errc::payload_too_large:
      return 413;
    case errc::rate_limited:
      return 429;
    case errc::unavailable:
      return 503;
    case errc::internal:
      return 500;
  }
  return 500;
}

}  // namespace relay
