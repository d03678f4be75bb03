// protocol/ws_codec: the RFC 6455 decoder every WebSocket byte from a client goes
// through (chat, app and agent sockets). The input is two control bytes and then the
// wire bytes:
//   byte 0: bits 0-2 pick the message cap (small caps reach the 1009 paths in short
//           inputs), bit 3 asks for skip_oversized as the chat socket uses it;
//   byte 1: seeds the chunking of the second decode.
// Checked: the same bytes in any chunking give the same messages and the same error
// (the transport reads whatever TCP hands it); errors are sticky; nothing delivered
// breaks the documented shape, and what RFC 6455 makes a MUST holds for it (text is
// UTF-8, a close has no or a valid code and a UTF-8 reason); buffered() never exceeds
// the cap plus one header and one control frame (the per-connection memory bound);
// every delivered message encodes and decodes back to itself.

#include <array>
#include <string>
#include <vector>

#include "core/text.hpp"
#include "protocol/ws_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace ws = relay::ws;

namespace {

constexpr std::array<std::size_t, 8> caps{1, 7, 125, 126, 1000, 65535, 65536, 1 << 20};
constexpr std::size_t max_header = 14;
constexpr std::size_t max_control = 125;

bool is_control(ws::opcode op) {
  return op == ws::opcode::close || op == ws::opcode::ping || op == ws::opcode::pong;
}

void check_shape(const ws::message& m, std::size_t cap, bool skip) {
  FUZZ_CHECK(m.op != ws::opcode::continuation);
  if (is_control(m.op)) {
    FUZZ_CHECK(m.payload.size() <= max_control);
    FUZZ_CHECK(!m.oversized);
    if (m.op == ws::opcode::close && !m.payload.empty()) {
      // 7.4 and 5.5.1: a code a peer may send and a UTF-8 reason, so echoing it is safe;
      // close_payload rebuilds exactly these bytes.
      FUZZ_CHECK(m.payload.size() >= 2);
      const auto code = ws::close_code_of(m.payload);
      FUZZ_CHECK(ws::valid_close_code(code));
      FUZZ_CHECK(relay::valid_utf8(std::string_view(m.payload).substr(2)));
      FUZZ_CHECK(ws::close_payload(code, std::string_view(m.payload).substr(2)) == m.payload);
    }
    return;
  }
  FUZZ_CHECK(m.op == ws::opcode::text || m.op == ws::opcode::binary);
  FUZZ_CHECK(m.payload.size() <= cap);
  if (m.oversized) FUZZ_CHECK(skip && m.payload.empty());
  if (m.op == ws::opcode::text) FUZZ_CHECK(relay::valid_utf8(m.payload));  // 8.1
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t cap = caps[data[0] & 7];
  const bool skip = (data[0] & 8) != 0;
  std::uint32_t rng = data[1] * 2654435761u + 1;
  const auto wire = relay::fuzz::as_text(data + 2, size - 2);

  // 1. All bytes at once.
  ws::decoder whole(cap, skip);
  std::vector<ws::message> a;
  const auto err_a = whole.feed(wire, a);
  FUZZ_CHECK(whole.buffered() <= cap + max_header + max_control);
  for (auto& m : a) check_shape(m, cap, skip);

  // Sticky: after an error nothing more is decoded and the same error comes back.
  if (err_a != ws::decode_error::none) {
    std::vector<ws::message> more;
    FUZZ_CHECK(whole.feed(wire, more) == err_a);
    FUZZ_CHECK(more.empty());
    const auto code = ws::close_code(err_a);
    FUZZ_CHECK(code == 1002 || code == 1007 || code == 1009);
    FUZZ_CHECK((code == 1007) == (err_a == ws::decode_error::invalid_utf8));
  }

  // 2. The same bytes in pseudo-random pieces of 0..31 bytes (0: an empty read).
  ws::decoder pieces(cap, skip);
  std::vector<ws::message> b;
  auto err_b = ws::decode_error::none;
  std::size_t at = 0;
  while (at < wire.size() && err_b == ws::decode_error::none) {
    rng = rng * 1103515245u + 12345u;
    const std::size_t n = std::min<std::size_t>((rng >> 16) % 32, wire.size() - at);
    err_b = pieces.feed(wire.substr(at, n), b);
    FUZZ_CHECK(pieces.buffered() <= cap + max_header + max_control);
    at += n;
  }
  FUZZ_CHECK(err_a == err_b);
  FUZZ_CHECK(a == b);

  // 3. What was delivered survives an encode/decode round trip (the client encoder the
  // tests and the load generator use, one frame per message).
  std::string again;
  std::uint32_t mask = rng;
  for (auto& m : a) {
    if (m.oversized) continue;
    ws::encode_client_frame(m.op, m.payload, mask, again);
    mask = mask * 1103515245u + 12345u;
  }
  ws::decoder round(cap, skip);
  std::vector<ws::message> c;
  FUZZ_CHECK(round.feed(again, c) == ws::decode_error::none);
  std::size_t k = 0;
  for (auto& m : a) {
    if (m.oversized) continue;
    FUZZ_CHECK(k < c.size() && c[k] == m);
    ++k;
  }
  FUZZ_CHECK(k == c.size());
  return 0;
}
