#include "protocol/http_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace relay::http_in {
namespace {

struct outcome {
  verdict v = verdict::more;
  std::string body;
  std::string target;
  std::string rest;          // bytes left after the request
  std::size_t max_held = 0;  // the most unconsumed bytes the caller had to keep
};

// Feeds `wire` the way the HTTP session does: `chunk` bytes per read, appended to what
// the reader left unconsumed.
outcome read_in_chunks(std::string_view wire, std::size_t chunk, limits l = {}) {
  reader r(l);
  outcome o;
  std::string held;
  std::size_t off = 0;
  while (true) {
    held.append(wire.substr(off, chunk));
    off = std::min(wire.size(), off + chunk);
    std::size_t used = 0;
    o.v = r.feed(held, used);
    held.erase(0, used);
    o.max_held = std::max(o.max_held, held.size());
    if (o.v != verdict::more || off == wire.size()) break;
  }
  if (o.v == verdict::done) {
    auto req = r.release();
    o.body = req.body();
    o.target = std::string(req.target());
    o.rest = held + std::string(wire.substr(off));
  }
  return o;
}

// Chunking never changes the outcome.
outcome read_every_chunking(std::string_view wire, limits l = {}) {
  outcome whole = read_in_chunks(wire, wire.size() + 1, l);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                            std::size_t{64}, std::size_t{4096}}) {
    outcome o = read_in_chunks(wire, chunk, l);
    EXPECT_EQ(o.v, whole.v) << "chunk " << chunk;
    EXPECT_EQ(o.body, whole.body) << "chunk " << chunk;
    EXPECT_EQ(o.rest, whole.rest) << "chunk " << chunk;
  }
  return whole;
}

TEST(http_reader, reads_a_request_and_leaves_the_next_one) {
  auto o = read_every_chunking(
      "POST /api/rooms/lobby/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /api/health HTTP/1.1\r\n\r\n");
  EXPECT_EQ(o.v, verdict::done);
  EXPECT_EQ(o.target, "/api/rooms/lobby/messages");
  EXPECT_EQ(o.body, "hello");
  EXPECT_EQ(o.rest, "GET /api/health HTTP/1.1\r\n\r\n");
}

TEST(http_reader, reads_a_chunked_body_with_small_extensions_and_trailers) {
  auto o = read_every_chunking(
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;name=value\r\nabc\r\n2\r\nde\r\n0\r\nX-Checksum: 1\r\n\r\n");
  EXPECT_EQ(o.v, verdict::done);
  EXPECT_EQ(o.body, "abcde");
}

TEST(http_reader, a_head_over_the_limit_is_431) {
  std::string wire = "GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  auto o = read_every_chunking(wire);
  EXPECT_EQ(o.v, verdict::header_too_large);
}

// Found by the fuzzer (tests/fuzz/findings/http_request): Beast applies header_limit to
// each put() on its own, so a head arriving in pieces, or whole with a long request line
// and long fields, could pass twice the cap or more.
TEST(http_reader, the_head_is_capped_as_a_whole_however_it_arrives) {
  std::string wire = "GET /" + std::string(10000, 'p') +
                     " HTTP/1.1\r\nX-A: " + std::string(10000, 'a') + "\r\n\r\n";
  auto o = read_every_chunking(wire);
  EXPECT_EQ(o.v, verdict::header_too_large);
  limits small{64, 16};
  std::string split =
      "GET /" + std::string(40, 'p') + " HTTP/1.1\r\nX-A: " + std::string(40, 'a') + "\r\n\r\n";
  EXPECT_EQ(read_every_chunking(split, small).v, verdict::header_too_large);
  std::string fits = "GET / HTTP/1.1\r\nX-A: " + std::string(30, 'a') + "\r\n\r\n";
  EXPECT_EQ(read_every_chunking(fits, small).v, verdict::done);
}

TEST(http_reader, a_body_over_the_limit_is_413_before_it_is_read) {
  auto o = read_in_chunks("POST / HTTP/1.1\r\nContent-Length: 70000\r\n\r\n", 4096);
  EXPECT_EQ(o.v, verdict::too_large);
  std::string chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "1000\r\n" + std::string(4096, 'x') + "\r\n";
  EXPECT_EQ(read_in_chunks(chunked, 4096).v, verdict::too_large);
}

// POST /api/attachments may carry upload_body_bytes (the attachment cap plus framing);
// every other request keeps body_bytes, and an upload past its own cap is 413 by its
// Content-Length, before a byte of the body is read, in every chunking.
TEST(http_reader, only_an_upload_gets_the_larger_body_limit) {
  limits l;
  l.body_bytes = 1024;
  l.upload_body_bytes = 8192;
  auto post = [](std::string_view target, std::size_t n) {
    return "POST " + std::string(target) +
           " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n" +
           std::string(n, 'b');
  };
  EXPECT_EQ(read_every_chunking(post("/api/attachments", 8000), l).v, verdict::done);
  EXPECT_EQ(read_every_chunking(post("/api/attachments?x=1", 8000), l).body.size(), 8000u);
  EXPECT_EQ(read_every_chunking(post("/api/attachments", 8193), l).v, verdict::too_large);
  // Anything else, however close its path: the ordinary limit.
  for (auto target : {"/api/rooms", "/api/attachmentsx", "/api/attachments/att_1", "/"})
    EXPECT_EQ(read_every_chunking(post(target, 2000), l).v, verdict::too_large) << target;
  auto get = "GET /api/attachments HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" +
             std::string(2000, 'b');
  EXPECT_EQ(read_every_chunking(get, l).v, verdict::too_large);
  // Refused from the head alone: the body never has to arrive.
  auto head_only = "POST /api/attachments HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\n\r\n";
  EXPECT_EQ(read_in_chunks(head_only, 4096, l).v, verdict::too_large);
}

// Found by the hostile-client probe: Beast buffers a chunk line and the trailer section
// whole, so a many-megabyte extension or trailer grew the read buffer without bound.
TEST(http_reader, a_huge_chunk_extension_is_refused_with_memory_bounded) {
  std::string wire = "POST /api/health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;x=" +
                     std::string(4 << 20, 'e') + "\r\na\r\n0\r\n\r\n";
  auto o = read_in_chunks(wire, 16 * 1024);
  EXPECT_EQ(o.v, verdict::too_large);
  EXPECT_LE(o.max_held, 2 * 16 * 1024u);
}

TEST(http_reader, a_huge_trailer_section_is_refused_with_memory_bounded) {
  std::string wire =
      "POST /api/health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n";
  for (int i = 0; i < 100000; ++i)
    wire += "X-T" + std::to_string(i) + ": " + std::string(40, 't') + "\r\n";
  wire += "\r\n";
  auto o = read_in_chunks(wire, 16 * 1024);
  EXPECT_EQ(o.v, verdict::too_large);
  EXPECT_LE(o.max_held, 2 * 16 * 1024u);
}

TEST(http_reader, chunk_framing_counts_against_a_fixed_allowance) {
  // Every chunk line under the per-line cap, but together far past any sane request.
  std::string ext = ";x=" + std::string(8000, 'e');
  std::string wire = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 64; ++i) wire += "1" + ext + "\r\na\r\n";
  wire += "0\r\n\r\n";
  EXPECT_EQ(read_in_chunks(wire, 16 * 1024).v, verdict::too_large);
  // Tiny chunks of an allowed body still fit: framing may be as large as the body.
  std::string small = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 1000; ++i) small += "1\r\nx\r\n";
  small += "0\r\n\r\n";
  auto o = read_in_chunks(small, 4096);
  EXPECT_EQ(o.v, verdict::done);
  EXPECT_EQ(o.body, std::string(1000, 'x'));
}

TEST(http_reader, malformed_requests_are_400) {
  for (std::string_view bad : {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                               "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                               "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                               "\x01\x02\x03 / HTTP/1.1\r\n\r\n"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(bad)));
    EXPECT_EQ(read_every_chunking(bad).v, verdict::bad_request);
  }
}

// RFC 9112 6.3: a request body is framed by chunked, applied once and last, or by
// Content-Length. Beast alone reads `Transfer-Encoding: gzip` as a request without a body,
// and its body as the next request.
TEST(http_reader, a_transfer_coding_that_is_not_chunked_last_is_400_and_smuggles_nothing) {
  const std::string smuggled = "GET /api/admin HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::string te : {"gzip", "chunked, gzip", "identity", "chunked, chunked", ","}) {
    SCOPED_TRACE(te);
    auto o = read_every_chunking(
        "POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n" + smuggled);
    EXPECT_EQ(o.v, verdict::bad_request);
    EXPECT_EQ(o.rest, "");
  }
  // The same, split over two fields.
  EXPECT_EQ(read_every_chunking("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                                "Transfer-Encoding: gzip\r\n\r\n" +
                                smuggled)
                .v,
            verdict::bad_request);
  // An element that is not a token is no coding Relay knows, even before a chunked one
  // (found by tests/fuzz/http_request: Beast's token_list skipped it, and the request
  // read as plain chunked).
  for (std::string first : {"/health HTTP/1.1", "gzip;q=1", "chu nked", "\"chunked\""}) {
    SCOPED_TRACE(first);
    EXPECT_EQ(read_every_chunking("POST / HTTP/1.1\r\nTransfer-Encoding:" + first +
                                  "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled)
                  .v,
              verdict::bad_request);
    EXPECT_EQ(read_every_chunking("POST / HTTP/1.1\r\nTransfer-Encoding: " + first +
                                  ", chunked\r\n\r\n0\r\n\r\n" + smuggled)
                  .v,
              verdict::bad_request);
  }
  // A field naming no coding ahead of a chunked one: the parser framed the body as chunked
  // while Beast's request, which reads the first field only, said it was not (finding #7,
  // tests/fuzz/http_request).
  for (std::string empty : {"", " ", " , "}) {
    SCOPED_TRACE("[" + empty + "]");
    EXPECT_EQ(read_every_chunking("POST / HTTP/1.1\r\nTransfer-Encoding:" + empty +
                                  "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled)
                  .v,
              verdict::bad_request);
  }
  // HTTP/1.0 has no transfer codings.
  EXPECT_EQ(read_every_chunking("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "5\r\nhello\r\n0\r\n\r\n")
                .v,
            verdict::bad_request);
}

TEST(http_reader, chunked_over_another_coding_is_501) {
  for (std::string head : {"Transfer-Encoding: gzip, chunked\r\n",
                           "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"}) {
    SCOPED_TRACE(head);
    auto o = read_every_chunking("POST / HTTP/1.1\r\nHost: x\r\n" + head +
                                 "\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(o.v, verdict::not_implemented);
  }
  // Coding names are case-insensitive: this one is plain chunked.
  auto o = read_every_chunking(
      "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(o.v, verdict::done);
  EXPECT_EQ(o.body, "hello");
}

TEST(http_reader, cookie_value_finds_a_cookie_among_others) {
  EXPECT_EQ(cookie_value("a=1; relay_session=s.v; b=2", "relay_session"), "s.v");
  EXPECT_EQ(cookie_value("relay_session=", "relay_session"), "");
  EXPECT_EQ(cookie_value("xrelay_session=1; junk; \trelay_oauth=o", "relay_oauth"), "o");
  EXPECT_FALSE(cookie_value("xrelay_session=1", "relay_session"));
  EXPECT_FALSE(cookie_value("", "relay_session"));
}

}  // namespace
}  // namespace relay::http_in
