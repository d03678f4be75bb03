#include "protocol/ws_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace relay::ws {

// Keeps failure output readable: payloads here run to 70 000 bytes.
void PrintTo(const message& m, std::ostream* os) {
  *os << "{op=" << static_cast<int>(m.op) << ", " << m.payload.size() << " bytes}";
}

void PrintTo(decode_error e, std::ostream* os) {
  switch (e) {
    case decode_error::none:
      *os << "none";
      return;
    case decode_error::protocol_error:
      *os << "protocol_error";
      return;
    case decode_error::too_large:
      *os << "too_large";
      return;
    case decode_error::not_masked:
      *os << "not_masked";
      return;
    case decode_error::invalid_utf8:
      *os << "invalid_utf8";
      return;
    case decode_error::bad_close:
      *os << "bad_close";
      return;
  }
  *os << "decode_error(" << static_cast<int>(e) << ")";
}

namespace {

constexpr std::size_t default_cap = 1 << 20;
constexpr std::uint32_t rfc_mask = 0x37fa213d;

std::string bytes(std::initializer_list<unsigned> values) {
  std::string s;
  for (unsigned v : values) s.push_back(static_cast<char>(v));
  return s;
}

// Every byte value appears, including 0x00 and bytes that are not UTF-8.
std::string pattern(std::size_t n, unsigned seed = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed) & 0xFF);
  return s;
}

// Printable ASCII, so valid as a text message; binary messages get every byte value.
std::string text(std::size_t n, unsigned seed = 0) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(0x20 + (i * 31 + seed) % 95);
  return s;
}

std::string payload_for(opcode op, std::size_t n, unsigned seed) {
  return op == opcode::text ? text(n, seed) : pattern(n, seed);
}

std::string client_frame(opcode op, std::string_view payload, std::uint32_t mask = rfc_mask,
                         bool fin = true) {
  std::string out;
  encode_client_frame(op, payload, mask, out, fin);
  return out;
}

struct outcome {
  std::vector<message> messages;
  decode_error error = decode_error::none;
  std::size_t buffered = 0;
};

outcome decode_in_chunks(std::string_view wire, std::size_t chunk, std::size_t cap) {
  decoder d(cap);
  outcome r;
  for (std::size_t off = 0; off < wire.size() && r.error == decode_error::none; off += chunk) {
    r.error = d.feed(wire.substr(off, chunk), r.messages);
  }
  r.buffered = d.buffered();
  return r;
}

// The decoder's contract is that chunking never changes the outcome, so decode `wire` whole
// and then in every chunk size down to one byte, and require identical results.
outcome decode_every_chunking(std::string_view wire, std::size_t cap = default_cap) {
  outcome whole = decode_in_chunks(wire, wire.empty() ? 1 : wire.size(), cap);
  for (std::size_t chunk = wire.size() - (wire.empty() ? 0 : 1); chunk >= 1; --chunk) {
    outcome r = decode_in_chunks(wire, chunk, cap);
    if (r.error != whole.error || r.messages != whole.messages) {
      ADD_FAILURE() << "chunk size " << chunk << " of " << wire.size()
                    << " differs from whole: error " << testing::PrintToString(r.error) << " vs "
                    << testing::PrintToString(whole.error) << ", messages "
                    << testing::PrintToString(r.messages) << " vs "
                    << testing::PrintToString(whole.messages);
      break;
    }
  }
  return whole;
}

void expect_error(std::string_view wire, decode_error expected, std::size_t cap = default_cap,
                  const std::vector<message>& before = {}) {
  const outcome r = decode_every_chunking(wire, cap);
  EXPECT_EQ(r.error, expected);
  EXPECT_EQ(r.messages, before);
}

// ---------------------------------------------------------------------------------------------

TEST(WsAcceptKey, Rfc6455Example) {
  // RFC 6455 section 1.3 (and 4.2.2): SHA-1 of key + GUID, base64-encoded.
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TEST(WsEncodeClientFrame, MatchesRfc6455MaskedExample) {
  // RFC 6455 section 5.7: a single-frame masked text message containing "Hello".
  EXPECT_EQ(client_frame(opcode::text, "Hello"),
            bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  EXPECT_EQ(client_frame(opcode::text, "Hel", rfc_mask, false).substr(0, 2), bytes({0x01, 0x83}));
}

TEST(WsRoundTrip, DataPayloadSizes) {
  for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 70000u}) {
    for (opcode op : {opcode::text, opcode::binary}) {
      SCOPED_TRACE(testing::Message() << "size " << size << " op " << static_cast<int>(op));
      const std::string payload = payload_for(op, size, static_cast<unsigned>(op));
      const std::string wire = client_frame(op, payload, 0xA1B2C3D4u + static_cast<unsigned>(size));
      const std::vector<message> expected{{op, payload}};
      if (op == opcode::text || size < 1000) {
        const outcome r = decode_every_chunking(wire);
        EXPECT_EQ(r.error, decode_error::none);
        EXPECT_EQ(r.messages, expected);
        EXPECT_EQ(r.buffered, 0u);
      } else {
        // The sweep is quadratic in the input size; the text frame of the same size already
        // took it, and the opcode does not change the payload path, so sample the chunk sizes
        // that straddle header, mask and length boundaries.
        for (std::size_t chunk :
             {wire.size(), wire.size() - 1, std::size_t{8191}, std::size_t{4096}, std::size_t{14},
              std::size_t{13}, std::size_t{7}, std::size_t{3}, std::size_t{2}, std::size_t{1}}) {
          SCOPED_TRACE(chunk);
          const outcome r = decode_in_chunks(wire, chunk, default_cap);
          EXPECT_EQ(r.error, decode_error::none);
          EXPECT_EQ(r.messages, expected);
          EXPECT_EQ(r.buffered, 0u);
        }
      }
    }
  }
}

TEST(WsRoundTrip, ControlFrames) {
  for (opcode op : {opcode::ping, opcode::pong, opcode::close}) {
    for (std::size_t size : {0u, 1u, 2u, 124u, 125u}) {
      if (op == opcode::close && size == 1) continue;  // never valid (WsDecoder.RejectsBadClose)
      SCOPED_TRACE(testing::Message() << "size " << size << " op " << static_cast<int>(op));
      // A close payload is a code and a UTF-8 reason; ping and pong carry any bytes.
      const std::string payload =
          op == opcode::close && size > 0
              ? close_payload(3000 + static_cast<std::uint16_t>(size), text(size - 2, 7))
              : pattern(size, 7);
      const outcome r = decode_every_chunking(client_frame(op, payload));
      EXPECT_EQ(r.error, decode_error::none);
      EXPECT_EQ(r.messages, (std::vector<message>{{op, payload}}));
    }
  }
  const std::string close = close_payload(1001, "going away");
  const outcome r = decode_every_chunking(client_frame(opcode::close, close, 0));
  EXPECT_EQ(r.messages, (std::vector<message>{{opcode::close, close}}));
}

TEST(WsRoundTrip, FragmentedMessageWithInterleavedPing) {
  std::string wire;
  encode_client_frame(opcode::text, "Hel", 0x01020304, wire, false);
  encode_client_frame(opcode::ping, "are you there", 0x0badf00d, wire);
  encode_client_frame(opcode::continuation, "lo, ", 0xdeadbeef, wire, false);
  encode_client_frame(opcode::continuation, "world", 0xffffffff, wire);
  const outcome r = decode_every_chunking(wire);
  EXPECT_EQ(r.error, decode_error::none);
  EXPECT_EQ(r.messages, (std::vector<message>{{opcode::ping, "are you there"},
                                              {opcode::text, "Hello, world"}}));
  EXPECT_EQ(r.buffered, 0u);
}

TEST(WsRoundTrip, FragmentedBinaryAcrossLengthEncodings) {
  // Fragments of 0, 126 (16-bit length), 0, 3 and 65536 (64-bit length) bytes. The big one is
  // last so the reassembly buffer stays under 128 KiB, past which ASan's allocator maps and
  // unmaps each block and the chunk-size sweep slows down tenfold.
  const std::string payload = pattern(126 + 3 + 65536, 3);
  const std::string_view view = payload;
  std::string wire;
  encode_client_frame(opcode::binary, "", 1, wire, false);
  encode_client_frame(opcode::continuation, view.substr(0, 126), 2, wire, false);
  encode_client_frame(opcode::pong, "", 3, wire);
  encode_client_frame(opcode::continuation, "", 4, wire, false);
  encode_client_frame(opcode::continuation, view.substr(126, 3), 5, wire, false);
  encode_client_frame(opcode::continuation, view.substr(129), 6, wire);
  const outcome r = decode_every_chunking(wire);
  EXPECT_EQ(r.error, decode_error::none);
  EXPECT_EQ(r.messages, (std::vector<message>{{opcode::pong, ""}, {opcode::binary, payload}}));
}

TEST(WsRoundTrip, SeveralFramesInOneFeed) {
  std::string wire;
  encode_client_frame(opcode::text, "first", 11, wire);
  encode_client_frame(opcode::binary, pattern(300), 12, wire);
  encode_client_frame(opcode::ping, "p", 13, wire);
  encode_client_frame(opcode::binary, "a", 14, wire, false);
  encode_client_frame(opcode::continuation, "b", 15, wire, false);
  encode_client_frame(opcode::continuation, "", 15, wire);
  encode_client_frame(opcode::pong, "", 16, wire);
  encode_client_frame(opcode::text, "", 17, wire);
  encode_client_frame(opcode::close, close_payload(1000, ""), 18, wire);
  const std::vector<message> expected{
      {opcode::text, "first"},
      {opcode::binary, pattern(300)},
      {opcode::ping, "p"},
      {opcode::binary, "ab"},
      {opcode::pong, ""},
      {opcode::text, ""},
      {opcode::close, close_payload(1000, "")},
  };

  decoder d(default_cap);
  std::vector<message> out;
  EXPECT_EQ(d.feed(wire, out), decode_error::none);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(d.buffered(), 0u);

  EXPECT_EQ(decode_every_chunking(wire).messages, expected);
}

TEST(WsRoundTrip, RandomChunkingOfMixedStream) {
  std::string wire;
  std::vector<message> expected;
  std::mt19937 rng(6455);
  for (int i = 0; i < 40; ++i) {
    const std::size_t size = std::uniform_int_distribution<std::size_t>(0, 70000)(rng) >> (i % 8);
    const opcode op = i % 3 == 0 ? opcode::binary : opcode::text;
    const std::string payload = payload_for(op, size, static_cast<unsigned>(i));
    encode_client_frame(op, payload, static_cast<std::uint32_t>(rng()), wire);
    expected.push_back({op, payload});
    if (i % 5 == 0) {
      encode_client_frame(opcode::ping, pattern(static_cast<std::size_t>(i), 1),
                          static_cast<std::uint32_t>(rng()), wire);
      expected.push_back({opcode::ping, pattern(static_cast<std::size_t>(i), 1)});
    }
  }
  for (int round = 0; round < 50; ++round) {
    decoder d(default_cap);
    std::vector<message> out;
    std::size_t max_chunk = std::size_t{1} << (round % 17);
    for (std::size_t off = 0; off < wire.size();) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, max_chunk)(rng);
      ASSERT_EQ(d.feed(std::string_view(wire).substr(off, n), out), decode_error::none);
      off += n;
    }
    ASSERT_EQ(out, expected) << "round " << round;
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(WsDecoder, TextThatIsNotUtf8FailsTheConnectionWith1007) {
  // RFC 6455 8.1: an endpoint MUST fail the connection on a text message that is not UTF-8.
  for (const std::string& bad : {bytes({0xff}), bytes({0xfe}), bytes({0xc0, 0xaf}),  // overlong '/'
                                 bytes({0xed, 0xa0, 0x80}),        // surrogate U+D800
                                 bytes({0xf4, 0x90, 0x80, 0x80}),  // past U+10FFFF
                                 bytes({0x61, 0xe2, 0x82})}) {     // truncated at the end
    SCOPED_TRACE(testing::PrintToString(bad));
    expect_error(client_frame(opcode::text, bad), decode_error::invalid_utf8);
  }
  EXPECT_EQ(close_code(decode_error::invalid_utf8), 1007);

  // Messages before the bad one are still delivered; nothing after it is.
  expect_error(client_frame(opcode::text, "ok") + client_frame(opcode::text, bytes({0xff})) +
                   client_frame(opcode::text, "late"),
               decode_error::invalid_utf8, default_cap, {{opcode::text, "ok"}});

  // The same bytes in a binary message are the application's business.
  EXPECT_EQ(decode_every_chunking(client_frame(opcode::binary, bytes({0xff, 0xc0}))).messages,
            (std::vector<message>{{opcode::binary, bytes({0xff, 0xc0})}}));
}

TEST(WsDecoder, Utf8IsJudgedOnTheWholeMessageNotPerFragment) {
  // A 4-byte code point (U+1F600) split at every byte boundary across two fragments.
  const std::string grin = bytes({0xf0, 0x9f, 0x98, 0x80});
  for (std::size_t cut = 0; cut <= grin.size(); ++cut) {
    std::string wire;
    encode_client_frame(opcode::text, grin.substr(0, cut), 9, wire, false);
    encode_client_frame(opcode::continuation, grin.substr(cut), 10, wire);
    const outcome r = decode_every_chunking(wire);
    EXPECT_EQ(r.error, decode_error::none) << "cut " << cut;
    EXPECT_EQ(r.messages, (std::vector<message>{{opcode::text, grin}}));
  }
  // Invalid only once the fragments are put together: a surrogate split in two.
  std::string wire;
  encode_client_frame(opcode::text, bytes({0xed}), 9, wire, false);
  encode_client_frame(opcode::continuation, bytes({0xa0, 0x80}), 10, wire);
  expect_error(wire, decode_error::invalid_utf8);
}

TEST(WsDecoder, RejectsBadClose) {
  // RFC 6455 5.5.1 and 7.4: a 1-byte body, a code nobody may send, or a reason that is
  // not UTF-8 is a protocol error (answered with 1002).
  expect_error(client_frame(opcode::close, "\x03"), decode_error::bad_close);
  for (unsigned code :
       {0u, 999u, 1004u, 1005u, 1006u, 1015u, 1016u, 1100u, 2000u, 2999u, 5000u, 65535u}) {
    SCOPED_TRACE(code);
    expect_error(client_frame(opcode::close, close_payload(static_cast<std::uint16_t>(code), "")),
                 decode_error::bad_close);
  }
  expect_error(client_frame(opcode::close, close_payload(1000, "") + bytes({0xff})),
               decode_error::bad_close);
  EXPECT_EQ(close_code(decode_error::bad_close), 1002);

  for (unsigned code : {1000u, 1001u, 1002u, 1003u, 1007u, 1008u, 1009u, 1010u, 1011u, 1012u, 1013u,
                        1014u, 3000u, 3999u, 4000u, 4999u}) {
    SCOPED_TRACE(code);
    const std::string p = close_payload(static_cast<std::uint16_t>(code), "bye \xc3\xa9");
    EXPECT_EQ(decode_every_chunking(client_frame(opcode::close, p)).messages,
              (std::vector<message>{{opcode::close, p}}));
    EXPECT_EQ(close_code_of(p), code);
  }
  EXPECT_EQ(decode_every_chunking(client_frame(opcode::close, "")).messages,
            (std::vector<message>{{opcode::close, ""}}));
  EXPECT_EQ(close_code_of(""), 1005);
}

TEST(WsDecoder, RejectsUnmaskedFrames) {
  std::string server_style;
  encode_frame(opcode::text, "hi", server_style);
  expect_error(server_style, decode_error::not_masked);
  std::string ping;
  encode_frame(opcode::ping, "", ping);
  expect_error(ping, decode_error::not_masked);
}

TEST(WsDecoder, RejectsRsvBits) {
  for (unsigned rsv : {0x40u, 0x20u, 0x10u, 0x70u}) {
    SCOPED_TRACE(rsv);
    std::string wire = client_frame(opcode::text, "hi");
    wire[0] = static_cast<char>(static_cast<unsigned char>(wire[0]) | rsv);
    expect_error(wire, decode_error::protocol_error);
  }
}

TEST(WsDecoder, RejectsUnknownOpcodes) {
  for (unsigned op : {3u, 4u, 5u, 6u, 7u, 11u, 12u, 13u, 14u, 15u}) {
    SCOPED_TRACE(op);
    expect_error(client_frame(static_cast<opcode>(op), "x"), decode_error::protocol_error);
  }
}

TEST(WsDecoder, RejectsOversizedControlFrames) {
  for (opcode op : {opcode::ping, opcode::pong, opcode::close}) {
    SCOPED_TRACE(static_cast<int>(op));
    expect_error(client_frame(op, pattern(126)), decode_error::protocol_error);
    expect_error(client_frame(op, pattern(65536)).substr(0, 20), decode_error::protocol_error);
  }
}

TEST(WsDecoder, RejectsFragmentedControlFrames) {
  for (opcode op : {opcode::ping, opcode::pong, opcode::close}) {
    SCOPED_TRACE(static_cast<int>(op));
    expect_error(client_frame(op, "x", rfc_mask, false), decode_error::protocol_error);
  }
}

TEST(WsDecoder, RejectsStrayContinuation) {
  expect_error(client_frame(opcode::continuation, "x"), decode_error::protocol_error);
  expect_error(client_frame(opcode::continuation, "x", rfc_mask, false),
               decode_error::protocol_error);
  // After a finished message there is again nothing to continue.
  const std::string wire =
      client_frame(opcode::text, "done") + client_frame(opcode::continuation, "x");
  expect_error(wire, decode_error::protocol_error, default_cap, {{opcode::text, "done"}});
}

TEST(WsDecoder, RejectsNewDataFrameDuringFragmentation) {
  for (opcode first : {opcode::text, opcode::binary}) {
    for (opcode second : {opcode::text, opcode::binary}) {
      SCOPED_TRACE(testing::Message()
                   << static_cast<int>(first) << "," << static_cast<int>(second));
      const std::string wire = client_frame(first, "a", 1, false) +
                               client_frame(opcode::ping, "", 2) + client_frame(second, "b", 3);
      expect_error(wire, decode_error::protocol_error, default_cap, {{opcode::ping, ""}});
    }
  }
}

TEST(WsDecoder, RejectsLengthWithHighBitSet) {
  const std::string wire =
      bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0x05, 1, 2, 3, 4}) + std::string(5, 'x');
  expect_error(wire, decode_error::protocol_error, SIZE_MAX);
}

TEST(WsDecoder, RejectsSingleFrameOverCap) {
  EXPECT_EQ(decode_every_chunking(client_frame(opcode::text, text(100)), 100).error,
            decode_error::none);
  expect_error(client_frame(opcode::text, text(101)), decode_error::too_large, 100);
  expect_error(client_frame(opcode::binary, pattern(1001)), decode_error::too_large, 1000);
  expect_error(client_frame(opcode::binary, pattern(70000)), decode_error::too_large, 65536);
  // A cap of zero still admits empty messages and control frames.
  EXPECT_EQ(
      decode_every_chunking(client_frame(opcode::text, "") + client_frame(opcode::ping, "p"), 0)
          .messages,
      (std::vector<message>{{opcode::text, ""}, {opcode::ping, "p"}}));
  expect_error(client_frame(opcode::text, "x"), decode_error::too_large, 0);
}

TEST(WsDecoder, RejectsFragmentsOverCap) {
  const std::string ok =
      client_frame(opcode::text, text(60), 1, false) +
      client_frame(opcode::ping, pattern(125), 2) +  // control frames don't count
      client_frame(opcode::continuation, text(40), 3);
  EXPECT_EQ(
      decode_every_chunking(ok, 100).messages,
      (std::vector<message>{{opcode::ping, pattern(125)}, {opcode::text, text(60) + text(40)}}));

  const std::string too_big = client_frame(opcode::text, pattern(60), 1, false) +
                              client_frame(opcode::continuation, pattern(40), 2, false) +
                              client_frame(opcode::continuation, "", 3, false) +
                              client_frame(opcode::continuation, "x", 4);
  expect_error(too_big, decode_error::too_large, 100);
}

TEST(WsDecoder, TooLargeIsDetectedFromTheHeaderAlone) {
  const std::string wire = client_frame(opcode::binary, pattern(70000));
  decoder d(65536);
  std::vector<message> out;
  // 2 bytes + 8-byte length + 4-byte mask, and not one payload byte.
  EXPECT_EQ(d.feed(std::string_view(wire).substr(0, 14), out), decode_error::too_large);
  EXPECT_LE(d.buffered(), 14u);
  EXPECT_TRUE(out.empty());
}

TEST(WsDecoder, ErrorsAreSticky) {
  decoder d(default_cap);
  std::vector<message> out;
  std::string unmasked;
  encode_frame(opcode::text, "x", unmasked);
  EXPECT_EQ(d.feed(unmasked, out), decode_error::not_masked);
  EXPECT_EQ(d.feed(client_frame(opcode::text, "ok"), out), decode_error::not_masked);
  EXPECT_TRUE(out.empty());
}

TEST(WsDecoder, MessagesBeforeAnErrorAreDelivered) {
  const std::string wire = client_frame(opcode::text, "a") + client_frame(opcode::pong, "b") +
                           client_frame(static_cast<opcode>(3), "c");
  expect_error(wire, decode_error::protocol_error, default_cap,
               {{opcode::text, "a"}, {opcode::pong, "b"}});
}

TEST(WsDecoder, BufferedCountsPartialInput) {
  const std::string frag = client_frame(opcode::binary, pattern(200), 7, false);  // 4 + 4 + 200
  const std::string ping = client_frame(opcode::ping, "abc", 8);
  decoder d(default_cap);
  std::vector<message> out;
  EXPECT_EQ(d.buffered(), 0u);
  ASSERT_EQ(d.feed(std::string_view(frag).substr(0, 3), out), decode_error::none);
  EXPECT_EQ(d.buffered(), 3u);
  ASSERT_EQ(d.feed(std::string_view(frag).substr(3, 5 + 50), out), decode_error::none);
  EXPECT_EQ(d.buffered(), 50u);
  ASSERT_EQ(d.feed(std::string_view(frag).substr(58), out), decode_error::none);
  EXPECT_EQ(d.buffered(), 200u);  // the unfinished message is held
  ASSERT_EQ(d.feed(std::string_view(ping).substr(0, ping.size() - 1), out), decode_error::none);
  EXPECT_EQ(d.buffered(), 202u);
  ASSERT_EQ(d.feed(std::string_view(ping).substr(ping.size() - 1), out), decode_error::none);
  EXPECT_EQ(d.buffered(), 200u);
  ASSERT_EQ(d.feed(client_frame(opcode::continuation, "", 9), out), decode_error::none);
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_EQ(out, (std::vector<message>{{opcode::ping, "abc"}, {opcode::binary, pattern(200)}}));
}

TEST(WsDecoder, EmptyFeedIsHarmless) {
  decoder d(default_cap);
  std::vector<message> out;
  EXPECT_EQ(d.feed({}, out), decode_error::none);
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(WsCloseCode, MapsErrors) {
  EXPECT_EQ(close_code(decode_error::protocol_error), 1002);
  EXPECT_EQ(close_code(decode_error::not_masked), 1002);
  EXPECT_EQ(close_code(decode_error::too_large), 1009);
  EXPECT_EQ(close_code(decode_error::none), 1000);
}

TEST(WsEncode, HeaderLayouts) {
  struct layout {
    std::size_t n;
    std::string header;
  };
  const layout cases[] = {
      {0, bytes({0x81, 0x00})},
      {125, bytes({0x81, 0x7D})},
      {126, bytes({0x81, 0x7E, 0x00, 0x7E})},
      {65535, bytes({0x81, 0x7E, 0xFF, 0xFF})},
      {65536, bytes({0x81, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00})},
  };
  for (const layout& c : cases) {
    SCOPED_TRACE(c.n);
    unsigned char hdr[10];
    const std::size_t len = encode_header(opcode::text, c.n, hdr);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(hdr), len), c.header);

    const std::string payload = pattern(c.n);
    std::string frame = "prefix";
    encode_frame(opcode::text, payload, frame);
    EXPECT_EQ(frame, "prefix" + c.header + payload);
  }

  unsigned char hdr[10];
  ASSERT_EQ(encode_header(opcode::binary, (std::size_t{1} << 32) + 5, hdr), 10u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(hdr), 10),
            bytes({0x82, 0x7F, 0, 0, 0, 0x01, 0, 0, 0, 0x05}));
  EXPECT_EQ(encode_header(opcode::close, 2, hdr), 2u);
  EXPECT_EQ(hdr[0], 0x88);
  EXPECT_EQ(encode_header(opcode::pong, 0, hdr), 2u);
  EXPECT_EQ(hdr[0], 0x8A);
}

TEST(WsEncode, RfcUnmaskedExamples) {
  std::string out;
  encode_frame(opcode::text, "Hello", out);
  EXPECT_EQ(out, bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  out.clear();
  encode_frame(opcode::ping, "Hello", out);
  EXPECT_EQ(out, bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
}

TEST(WsEncode, ClosePayload) {
  EXPECT_EQ(close_payload(1000, ""), bytes({0x03, 0xE8}));
  EXPECT_EQ(close_payload(4001, "bad frame"), bytes({0x0F, 0xA1}) + "bad frame");
  EXPECT_EQ(close_payload(1009, std::string(123, 'a')),
            bytes({0x03, 0xF1}) + std::string(123, 'a'));
  EXPECT_EQ(close_payload(1009, std::string(200, 'a')),
            bytes({0x03, 0xF1}) + std::string(123, 'a'));

  // Truncation never splits a UTF-8 sequence of 2, 3 or 4 bytes straddling the limit.
  const std::string two = std::string(122, 'a') + "\xc3\xa9" + "tail";
  EXPECT_EQ(close_payload(1000, two).substr(2), std::string(122, 'a'));
  const std::string three = std::string(121, 'a') + "\xe2\x82\xac" + "tail";
  EXPECT_EQ(close_payload(1000, three).substr(2), std::string(121, 'a'));
  const std::string four = std::string(120, 'a') + "\xf0\x9f\x98\x80" + "tail";
  EXPECT_EQ(close_payload(1000, four).substr(2), std::string(120, 'a'));
  const std::string fits = std::string(121, 'a') + "\xc3\xa9" + "tail";
  EXPECT_EQ(close_payload(1000, fits).substr(2), std::string(121, 'a') + "\xc3\xa9");
  EXPECT_LE(close_payload(1000, std::string(300, '\x80')).size(), 125u);
}

}  // namespace

// -- skip_oversized: the chat socket answers an oversized frame and stays open ------

namespace {

std::vector<message> decode_skipping(std::string_view wire, std::size_t chunk, std::size_t cap) {
  decoder d{cap, true};
  std::vector<message> out;
  for (std::size_t i = 0; i < wire.size(); i += chunk)
    EXPECT_EQ(d.feed(wire.substr(i, chunk), out), decode_error::none);
  EXPECT_EQ(d.buffered(), 0u);
  return out;
}

}  // namespace

TEST(WsDecoderSkip, OversizedMessageIsReportedAndTheStreamContinues) {
  std::string wire = client_frame(opcode::text, pattern(70000));
  wire += client_frame(opcode::text, "after");
  for (std::size_t chunk : {wire.size(), std::size_t{65536}, std::size_t{1000}, std::size_t{7}}) {
    auto out = decode_skipping(wire, chunk, 65536);
    ASSERT_EQ(out.size(), 2u) << "chunk " << chunk;
    EXPECT_TRUE(out[0].oversized);
    EXPECT_TRUE(out[0].payload.empty());
    EXPECT_EQ(out[0].op, opcode::text);
    EXPECT_FALSE(out[1].oversized);
    EXPECT_EQ(out[1].payload, "after");
  }
}

TEST(WsDecoderSkip, FragmentsPastTheCapAreSkippedWithPingsStillDelivered) {
  std::string wire;
  wire += client_frame(opcode::text, pattern(60), rfc_mask, false);
  wire += client_frame(opcode::ping, "p");
  wire += client_frame(opcode::continuation, pattern(60), rfc_mask, false);
  wire += client_frame(opcode::continuation, pattern(60), rfc_mask, true);
  wire += client_frame(opcode::binary, "ok");
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    auto out = decode_skipping(wire, chunk, 100);
    ASSERT_EQ(out.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(out[0].op, opcode::ping);
    EXPECT_TRUE(out[1].oversized);
    EXPECT_EQ(out[2].payload, "ok");
  }
}

TEST(WsDecoderSkip, NothingOfTheOversizedPayloadIsBuffered) {
  decoder d{1024, true};
  std::vector<message> out;
  std::string wire = client_frame(opcode::text, pattern(1 << 20));
  EXPECT_EQ(d.feed(std::string_view(wire).substr(0, 512 * 1024), out), decode_error::none);
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_TRUE(out.empty());
}

}  // namespace relay::ws
