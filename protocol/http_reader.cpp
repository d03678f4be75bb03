#include "protocol/http_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace relay::http_in {

namespace http = boost::beast::http;

reader::reader(const limits& l) : limits_(l), body_limit_(l.body_bytes) {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(l.header_bytes));
  parser_->body_limit(static_cast<std::uint64_t>(l.body_bytes));
  // Not eager until the head is read: put() then stops right after the head, so the
  // bytes it took are the head's (feed() counts them itself), and only then reads on.
  parser_->eager(false);
}

verdict reader::feed(std::string_view data, std::size_t& used) {
  used = 0;
  while (!parser_->is_done()) {
    const bool header_phase = !parser_->is_header_done();
    // Beast refuses a Content-Length over body_limit in the same put() that parses the
    // head, so an upload's larger limit is set before: Beast parses a head only once it
    // is whole, so the unconsumed bytes start with its request line.
    if (header_phase && limits_.upload_body_bytes > body_limit_ && is_upload(data.substr(used))) {
      body_limit_ = limits_.upload_body_bytes;
      parser_->body_limit(static_cast<std::uint64_t>(body_limit_));
    }
    boost::beast::error_code ec;
    auto n = parser_->put(boost::asio::buffer(data.data() + used, data.size() - used), ec);
    used += n;
    consumed_ += n;
    if (header_phase) {
      // Beast applies header_limit to each put() on its own, to the request line and to
      // the fields not yet consumed, so a head that arrives in pieces (or whole, up to
      // twice the limit) would pass it: the reader counts the head itself.
      if (consumed_ > limits_.header_bytes) return verdict::header_too_large;
      if (parser_->is_header_done()) {
        if (auto v = check_transfer_coding(); v != verdict::more) return v;
        parser_->eager(true);
      }
    }
    const std::size_t body = parser_->get().body().size();
    if (consumed_ - body > limits_.framing_bytes(body_limit_)) return verdict::too_large;
    if (ec == http::error::need_more) {
      // The parser takes a line or a section only once it is whole; what it waits for
      // (the rest of the head, a chunk line with its extensions, the trailers) must fit.
      const std::size_t waiting = data.size() - used;
      if (header_phase ? consumed_ + waiting > limits_.header_bytes : waiting > max_pending())
        return refuse(header_phase);
      return verdict::more;
    }
    if (ec == http::error::header_limit) return refuse(header_phase);
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow)
      return verdict::too_large;
    if (ec) return verdict::bad_request;
    if (used == data.size() && !parser_->is_done()) return verdict::more;
  }
  return verdict::done;
}

namespace {

// RFC 9110 5.6.2: the characters of a token.
bool is_tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= '0' && u <= '9') return true;
  if ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') return true;
  return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

}  // namespace

bool reader::is_upload(std::string_view head) {
  const std::string line = "POST " + std::string(limits::upload_path);
  if (head.substr(0, line.size()) != line || head.size() == line.size()) return false;
  return head[line.size()] == ' ' || head[line.size()] == '?';
}

verdict reader::check_transfer_coding() const {
  const auto& head = parser_->get();
  auto fields = head.equal_range(http::field::transfer_encoding);
  if (fields.first == fields.second) return verdict::more;
  // Only HTTP/1.1 frames a body by transfer coding (RFC 9112 6.1: a 1.0 request with one
  // is faulty).
  if (head.version() < 11) return verdict::bad_request;
  std::size_t codings = 0, chunked = 0;
  bool last_is_chunked = false;
  // Each field is a list of codings, and the fields together are one list (RFC 9110
  // 5.3). Beast's token_list skips what is not a token, so `Transfer-Encoding: /x y`
  // followed by `Transfer-Encoding: chunked` read as plain chunked (found by
  // tests/fuzz/http_request): every element must be a token, else the framing is
  // unknown. A coding with parameters is not one Relay undoes either way.
  for (auto f = fields.first; f != fields.second; ++f) {
    std::string_view list{f->value().data(), f->value().size()};
    const auto before = codings;
    while (true) {
      const auto comma = list.find(',');
      auto coding = list.substr(0, comma);
      while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
        coding.remove_prefix(1);
      while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
        coding.remove_suffix(1);
      if (!coding.empty()) {
        for (char c : coding)
          if (!is_tchar(c)) return verdict::bad_request;
        ++codings;
        last_is_chunked = boost::beast::iequals(coding, "chunked");
        if (last_is_chunked) ++chunked;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    // A field naming no coding (`Transfer-Encoding:` alone) is an empty list element to
    // the RFC, but Beast's message reads codings from the first field only, so an empty
    // one ahead of `chunked` made the parser frame the body as chunked while the request
    // it hands on says it is not (finding #7). Refused: no client sends one.
    if (codings == before) return verdict::bad_request;
  }
  // The body's length is known only when chunked is applied once, last; anything else
  // must be refused with 400 and the connection closed (6.3).
  if (codings == 0 || !last_is_chunked || chunked > 1) return verdict::bad_request;
  // Chunked over a coding Relay cannot undo: framed, but not readable.
  if (codings > 1) return verdict::not_implemented;
  return verdict::more;
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return std::nullopt;
}

}  // namespace relay::http_in
