#pragma once

// RFC 6455 framing, kept free of I/O so it can be driven by any transport and tested by
// feeding the same bytes in every chunking. We own the codec instead of using Beast's
// websocket stream for the write side: a broadcast frame is encoded once and gathered
// into many sockets' writes with only a per-write header (2.6-3x the deliveries per
// second of a stream that copies each message into its own frame buffer). Owning the
// read side lets an oversized message be skipped with an error frame instead of failing
// the connection, which our contract asks for and RFC 6455 allows (section 10.4).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace relay::ws {

/// Frame opcodes defined by RFC 6455; every other value is rejected by the decoder.
enum class opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10,
};

/// Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

/// One complete (reassembled) message or control frame delivered by the decoder.
/// `op` is text, binary, close, ping or pong, never continuation.
struct message {
  opcode op;
  std::string payload;
  /// Set (with an empty payload) for a data message over the cap that the decoder
  /// skipped instead of failing; see decoder's `skip_oversized`.
  bool oversized = false;

  friend bool operator==(const message&, const message&) = default;
};

/// Why the decoder gave up on a connection; see close_code() for the matching close status.
enum class decode_error {
  none,
  protocol_error,  // 1002
  too_large,       // 1009
  not_masked,      // 1002
  invalid_utf8,    // 1007: a text message that is not UTF-8 (RFC 6455 8.1)
  bad_close,       // 1002: a close frame with a forbidden code, 1 byte, or a non-UTF-8 reason
};

/// Incremental server-side decoder. Feed any chunking of bytes; it emits whole messages.
///
/// Besides framing, the decoder enforces what RFC 6455 makes a MUST for the receiver:
/// a text message must be UTF-8 (checked once it is complete; an oversized one that is
/// skipped is not checked) and a close frame's code and reason must be valid (7.4, 5.5.1).
class decoder {
 public:
  /// `max_message_bytes` caps a reassembled data message; control frames are capped at 125.
  ///
  /// With `skip_oversized`, a data message over the cap is not an error: its payload is
  /// discarded as it arrives (never buffered) and it is delivered as an empty message
  /// with `oversized` set, so the application can answer it and keep the connection.
  explicit decoder(std::size_t max_message_bytes, bool skip_oversized = false) noexcept;

  /// Consumes all of `bytes`, appending each completed message to `out` in wire order.
  /// Returns an error on a protocol violation, after which the connection must be closed
  /// with close_code(err); the error is sticky and later calls return it without decoding.
  /// Messages completed before the offending frame are still appended.
  decode_error feed(std::string_view bytes, std::vector<message>& out);

  /// Bytes buffered but not yet delivered (partial header, partial control frame and the
  /// fragments of an unfinished data message), for per-connection memory accounting.
  /// Counts bytes received, not capacity: storage reserved for a frame's declared length
  /// (only after the cap check, and at most 1 MiB ahead of arrival) is not counted.
  std::size_t buffered() const noexcept;

 private:
  // Returns false when more input is needed or the header is invalid (then err_ is set).
  bool read_header(const char*& p, std::size_t& n);
  bool check_first_two_bytes();
  bool finish_header();
  // Returns false (err_ set) for a text message that is not UTF-8 or an invalid close.
  bool complete_frame(std::vector<message>& out);
  static bool valid_close_payload(std::string_view payload) noexcept;

  std::size_t max_message_bytes_;
  bool skip_oversized_ = false;
  bool skipping_ = false;  // discarding the rest of an oversized data message
  decode_error err_ = decode_error::none;

  // Header being assembled; at most 2 + 8 (length) + 4 (mask) bytes.
  unsigned char hdr_[14] = {};
  std::size_t hdr_len_ = 0;
  std::size_t hdr_need_ = 2;
  bool in_payload_ = false;

  // Frame whose payload is being read.
  opcode frame_op_ = opcode::continuation;
  bool frame_fin_ = false;
  std::uint64_t remaining_ = 0;
  unsigned char mask_[4] = {};
  std::size_t mask_phase_ = 0;  // payload bytes of this frame consumed so far, mod 4

  // Data message being reassembled across fragments.
  bool in_message_ = false;
  opcode message_op_ = opcode::text;
  std::string message_;

  // Control frames may arrive between fragments, so they get their own buffer.
  std::string control_;
};

/// Close status for a decoder error: 1002 (protocol error), 1007 (invalid UTF-8) or 1009
/// (message too big); 1000 for decode_error::none.
std::uint16_t close_code(decode_error e) noexcept;

/// Appends a server-side (unmasked) single FIN frame, header then payload, to `out`.
void encode_frame(opcode op, std::string_view payload, std::string& out);

/// Writes just the FIN frame header for a payload of `n` bytes, so a shared payload buffer
/// can be sent with scatter/gather without copying. `hdr` must hold 10 bytes; returns the
/// header length (2, 4 or 10).
std::size_t encode_header(opcode op, std::size_t n, unsigned char* hdr) noexcept;

/// True for a close code a peer may send (RFC 6455 7.4.1 and the IANA registry):
/// 1000-1003, 1007-1014 and the application ranges 3000-4999.
bool valid_close_code(std::uint16_t code) noexcept;

/// The code of a close frame's payload, or 1005 ("no status") for an empty one. Only
/// meaningful for a payload the decoder delivered (it has checked it).
std::uint16_t close_code_of(std::string_view payload) noexcept;

/// Close frame payload: 2-byte big-endian code followed by `reason` truncated to 123 bytes
/// (at a UTF-8 boundary when `reason` is valid UTF-8).
std::string close_payload(std::uint16_t code, std::string_view reason);

/// Appends a client-side masked frame to `out` (for tests and the benchmark load generator).
/// The masking key is the big-endian bytes of `mask`; `fin = false` makes a fragment.
void encode_client_frame(opcode op, std::string_view payload, std::uint32_t mask, std::string& out,
                         bool fin = true);

}  // namespace relay::ws
