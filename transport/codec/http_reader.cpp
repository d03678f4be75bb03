#include "transport/codec/http_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace relay::http_in {

namespace http = boost::beast::http;

reader::reader(const limits& l) : limits_(l) {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(l.header_bytes));
  parser_->body_limit(static_cast<std::uint64_t>(l.body_bytes));
  // Without eager, put() stops after the head and every body piece costs a call.
  parser_->eager(true);
}

verdict reader::feed(std::string_view data, std::size_t& used) {
  used = 0;
  while (!parser_->is_done()) {
    const bool header_phase = !parser_->is_header_done();
    boost::beast::error_code ec;
    auto n = parser_->put(boost::asio::buffer(data.data() + used, data.size() - used), ec);
    used += n;
    consumed_ += n;
    const std::size_t body = parser_->get().body().size();
    if (consumed_ - body > limits_.framing_bytes()) return verdict::too_large;
    if (ec == http::error::need_more) {
      // The parser takes a line or a section only once it is whole; what it waits for
      // (the head, a chunk line with its extensions, the trailers) must fit the cap.
      if (data.size() - used > max_pending()) return refuse(header_phase);
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
