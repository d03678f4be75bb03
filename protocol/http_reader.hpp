#pragma once

// One HTTP/1.1 request read from bytes as they arrive, with Beast's parser configured the
// way every Relay request is read. Kept free of I/O so the HTTP session and the fuzzer
// run the very same code.
//
// Beast bounds the request head (header_limit) and the body (body_limit) but not what a
// chunked body carries besides its data: a chunk-size line with a many-megabyte chunk
// extension, or a trailer section of any size, is buffered whole before Beast parses it.
// So the reader also holds (1) the bytes a caller must keep unparsed to `max_pending()`
// and (2) everything that is not body (head, chunk framing, extensions, trailers) to a
// fixed allowance: every byte a client sends before Relay decides what to do with the
// request counts against a cap.

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace relay::http_in {

using request = boost::beast::http::request<boost::beast::http::string_body>;

/// What one request may cost.
struct limits {
  std::size_t header_bytes = 16 * 1024;  ///< the head; also one chunk line, and the trailers
  std::size_t body_bytes = 64 * 1024;    ///< the decoded body
  /// The body of `POST /api/attachments`, when larger than body_bytes (0: no exception).
  /// Applied once the head is read, so a Content-Length over it is refused before one
  /// byte of the body is, and a chunked body as soon as it passes it.
  std::size_t upload_body_bytes = 0;

  /// The path whose POST bodies may be upload_body_bytes large.
  static constexpr std::string_view upload_path = "/api/attachments";

  /// Bytes besides the body a request may carry in all: its head and trailers, and chunk
  /// framing as large as the body itself (a client that sends tiny chunks still fits).
  std::size_t framing_bytes(std::size_t body) const noexcept { return 2 * header_bytes + body; }
};

/// How far a request has come, and why it was refused.
enum class verdict {
  more,              ///< keep the unused bytes, append more, feed again
  done,              ///< release() the request; unused bytes belong to what follows
  bad_request,       ///< not HTTP/1.1 as RFC 9112 writes it (400)
  header_too_large,  ///< the head is over `header_bytes` (431)
  too_large,         ///< body, chunk framing or trailers over their caps (413)
  not_implemented,   ///< a transfer coding other than chunked, e.g. `gzip, chunked` (501)
};

class reader {
 public:
  explicit reader(const limits& l);

  /// Parses as much of `data` as it can and sets `used` to the bytes it consumed; the
  /// caller keeps `data.substr(used)` and offers it again with more appended. After any
  /// verdict but `more`, the reader is finished.
  verdict feed(std::string_view data, std::size_t& used);

  /// Unconsumed bytes a caller ever needs to hold: a buffer this large, plus one read,
  /// is enough for any request that fits the limits.
  std::size_t max_pending() const noexcept { return limits_.header_bytes; }

  /// The request, once feed() said `done`.
  request release() { return parser_->release(); }

 private:
  /// RFC 9112 6.1 and 6.3 on a request's Transfer-Encoding, once its head is read: Beast
  /// only notices `chunked` as the last coding and otherwise reads no body at all, so
  /// `Transfer-Encoding: gzip` would end the request at its head and the body would be
  /// read as the next request (smuggling behind a proxy that honours the coding).
  verdict check_transfer_coding() const;

  verdict refuse(bool header_phase) const noexcept {
    return header_phase ? verdict::header_too_large : verdict::too_large;
  }

  /// True when `head` (a request's first bytes) starts an upload: `POST upload_path`,
  /// any query.
  static bool is_upload(std::string_view head);

  limits limits_;
  std::size_t body_limit_ = 0;  // body_bytes, or upload_body_bytes for an upload
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::size_t consumed_ = 0;
};

/// The value of cookie `name` in a `Cookie` header (RFC 6265 5.4: `a=1; b=2`), or nothing.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

}  // namespace relay::http_in
