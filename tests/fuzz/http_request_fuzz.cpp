// protocol/http_reader: one HTTP/1.1 request read as Relay's HTTP session reads it
// (Beast's parser with Relay's caps on the head, the body, chunk lines and extensions,
// trailers and all framing). The input is two control bytes and then what a client
// sends on one connection (possibly several pipelined requests):
//   byte 0: bits 0-1 pick header_bytes, bits 2-3 body_bytes (small caps reach the 413 and
//           431 paths in short inputs; the last choice of each is the server's default);
//   byte 1: seeds the sizes of the reads (1 byte up to the session's 16 KiB).
// The connection is replayed the way http_session does it: a buffer that keeps what the
// reader did not use, grown by one read at a time, a new reader after each request.
// Checked: what the session must hold never exceeds max_pending() between reads (the cap
// the 64 MB trailer walked past); no request costs more bytes than its caps
// allow; an accepted request keeps its head and body within their caps; and reading the
// same bytes all at once accepts the same requests (bytes split differently by TCP must
// not change what Relay reads), and never calls a request the session accepted malformed.

#include <array>
#include <string>
#include <vector>

#include "protocol/http_reader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace http_in = relay::http_in;

namespace {

constexpr std::array<std::size_t, 4> header_caps{64, 512, 4096, 16 * 1024};
constexpr std::array<std::size_t, 4> body_caps{0, 16, 1024, 64 * 1024};
constexpr std::size_t read_chunk = 16 * 1024;  // http_session's read size
constexpr int max_requests = 8;

// What a caller sees of an accepted request.
struct seen {
  std::string method, target, fields, body;
  unsigned version = 0;
  bool operator==(const seen&) const = default;
};

// The fewest bytes the head of `r` took on the wire (white space around values trimmed).
std::size_t head_bytes(const http_in::request& r) {
  std::size_t n = r.method_string().size() + 1 + r.target().size() + 1 + 8 + 2 + 2;
  for (auto& f : r) n += f.name_string().size() + 1 + f.value().size() + 2;
  return n;
}

seen describe(http_in::request&& r) {
  seen s{std::string(r.method_string()),
         std::string(r.target()),
         {},
         std::move(r.body()),
         r.version()};
  for (auto& f : r) {
    s.fields.append(f.name_string());
    s.fields += ':';
    s.fields.append(f.value());
    s.fields += '\n';
  }
  return s;
}

struct outcome {
  std::vector<seen> requests;
  http_in::verdict last = http_in::verdict::more;  // the verdict that ended the connection
};

// Reads the connection in pieces whose sizes come from `rng`; rng == 0 means all at once.
outcome replay(std::string_view wire, const http_in::limits& lim, std::uint32_t rng) {
  outcome out;
  std::string buffer;
  std::size_t at = 0;
  for (int n = 0; n < max_requests; ++n) {
    http_in::reader reader(lim);
    std::size_t consumed = 0;
    for (;;) {
      std::size_t used = 0;
      const auto v = reader.feed(buffer, used);
      FUZZ_CHECK(used <= buffer.size());
      consumed += used;
      buffer.erase(0, used);
      out.last = v;
      // A request that goes on, or is accepted, has cost at most its caps; a refused one
      // may have gone over by the last piece read (the connection closes).
      if (v == http_in::verdict::more || v == http_in::verdict::done)
        FUZZ_CHECK(consumed <= lim.framing_bytes(lim.body_bytes) + lim.body_bytes);
      if (v == http_in::verdict::done) break;
      if (v != http_in::verdict::more) return out;
      if (rng != 0) FUZZ_CHECK(buffer.size() <= reader.max_pending());
      if (at == wire.size()) return out;  // the client stopped sending
      std::size_t piece = wire.size() - at;
      if (rng != 0) {
        rng = rng * 1103515245u + 12345u;
        // Mostly short reads, now and then a full one.
        piece = std::min(piece, (rng >> 16) % 8 == 0 ? read_chunk : 1 + (rng >> 16) % 64);
      }
      buffer.append(wire.substr(at, piece));
      at += piece;
    }
    auto released = reader.release();
    // The head is capped. Trailers are capped too but Beast files them with the fields,
    // so only a request without Transfer-Encoding (no trailers possible) is measured.
    if (released.count(boost::beast::http::field::transfer_encoding) == 0)
      FUZZ_CHECK(head_bytes(released) <= lim.header_bytes);
    // A transfer coding is accepted only as one chunked, last, in HTTP/1.1 (RFC 9112 6.3).
    else
      FUZZ_CHECK(released.chunked() && released.version() == 11);
    auto req = describe(std::move(released));
    FUZZ_CHECK(req.body.size() <= lim.body_bytes);
    FUZZ_CHECK(!req.method.empty() && (req.version == 10 || req.version == 11));
    out.requests.push_back(std::move(req));
    // HTTP/1.0 without keep-alive, or Connection: close, would end here in the session;
    // reading on anyway checks the reader on whatever follows.
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  http_in::limits lim;
  lim.header_bytes = header_caps[data[0] & 3];
  lim.body_bytes = body_caps[(data[0] >> 2) & 3];
  const auto wire = relay::fuzz::as_text(data + 2, size - 2);

  const auto session = replay(wire, lim, data[1] * 2654435761u + 1);
  const auto whole = replay(wire, lim, 0);

  // Every request the session accepted is read the same from the bytes all at once.
  FUZZ_CHECK(whole.requests.size() >= session.requests.size());
  for (std::size_t i = 0; i < session.requests.size(); ++i)
    FUZZ_CHECK(whole.requests[i] == session.requests[i]);
  // What the session stopped at, the whole read did not accept as a request either...
  if (session.last != http_in::verdict::done && whole.requests.size() > session.requests.size())
    FUZZ_CHECK(session.last == http_in::verdict::too_large ||
               session.last == http_in::verdict::header_too_large);
  // ...and what was a well-formed request is never malformed when split.
  if (whole.requests.size() > session.requests.size())
    FUZZ_CHECK(session.last != http_in::verdict::bad_request);
  return 0;
}
