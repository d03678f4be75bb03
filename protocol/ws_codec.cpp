#include "protocol/ws_codec.hpp"

#include "core/base64.hpp"
#include "core/text.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace relay::ws {
namespace {

constexpr unsigned char fin_bit = 0x80;
constexpr unsigned char rsv_bits = 0x70;
constexpr unsigned char opcode_bits = 0x0F;
constexpr unsigned char mask_bit = 0x80;
constexpr unsigned char length_bits = 0x7F;
constexpr std::size_t max_control_payload = 125;
constexpr std::size_t max_close_reason = max_control_payload - 2;
constexpr std::size_t max_upfront_reserve = std::size_t{1} << 20;

constexpr bool is_control(opcode op) noexcept {
  return (static_cast<std::uint8_t>(op) & 0x08) != 0;
}

constexpr bool is_known(std::uint8_t op) noexcept {
  switch (static_cast<opcode>(op)) {
    case opcode::continuation:
    case opcode::text:
    case opcode::binary:
    case opcode::close:
    case opcode::ping:
    case opcode::pong:
      return true;
  }
  return false;
}

// XORs `n` bytes with the 4-byte key, starting `phase` bytes into the key. Works a 64-bit
// word at a time because payloads are unmasked on the hot path of every inbound message;
// the key is laid out in memory order, so this is independent of endianness.
void apply_mask(unsigned char* p, std::size_t n, const unsigned char key[4],
                std::size_t phase) noexcept {
  unsigned char k[8];
  for (std::size_t i = 0; i < 8; ++i) k[i] = key[(phase + i) & 3];
  std::uint64_t k64;
  std::memcpy(&k64, k, sizeof k64);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, sizeof w);
    w ^= k64;
    std::memcpy(p + i, &w, sizeof w);
  }
  for (; i < n; ++i) p[i] ^= k[i & 7];
}

// Grows `out` geometrically so coalescing many frames into one write buffer stays linear.
void make_room(std::string& out, std::size_t extra) {
  const std::size_t need = out.size() + extra;
  if (need > out.capacity()) out.reserve(std::max(need, 2 * out.capacity()));
}

// Writes the second header byte and the extended length; returns the bytes written from h[1].
std::size_t put_length(unsigned char* h, std::uint64_t n, unsigned char mask) noexcept {
  if (n <= max_control_payload) {
    h[1] = static_cast<unsigned char>(mask | n);
    return 1;
  }
  if (n <= 0xFFFF) {
    h[1] = mask | 126;
    h[2] = static_cast<unsigned char>(n >> 8);
    h[3] = static_cast<unsigned char>(n);
    return 3;
  }
  h[1] = mask | 127;
  for (std::size_t i = 0; i < 8; ++i) h[2 + i] = static_cast<unsigned char>(n >> (56 - 8 * i));
  return 9;
}

}  // namespace

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input;
  input.reserve(client_key.size() + guid.size());
  input.append(client_key).append(guid);

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr) != 1) {
    // Only possible when the OpenSSL configuration forbids SHA-1; nothing sane to send.
    throw std::runtime_error("ws::accept_key: SHA-1 digest unavailable");
  }
  return base64::encode(std::string_view(reinterpret_cast<const char*>(digest), digest_len));
}

decoder::decoder(std::size_t max_message_bytes, bool skip_oversized) noexcept
    : max_message_bytes_(max_message_bytes), skip_oversized_(skip_oversized) {}

std::size_t decoder::buffered() const noexcept {
  return hdr_len_ + message_.size() + control_.size();
}

decode_error decoder::feed(std::string_view bytes, std::vector<message>& out) {
  if (err_ != decode_error::none) return err_;
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  for (;;) {
    if (!in_payload_) {
      if (!read_header(p, n)) return err_;
      // Empty frames (e.g. a bare ping, or the final empty fragment) complete right away,
      // even if no input bytes remain.
      if (remaining_ == 0) {
        if (!complete_frame(out)) return err_;
        continue;
      }
    }
    if (n == 0) return decode_error::none;
    const std::size_t take = static_cast<std::size_t>(
        std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(n)));
    if (skipping_ && !is_control(frame_op_)) {
      // Oversized message: drop the bytes as they arrive, memory stays flat.
      p += take;
      n -= take;
      remaining_ -= take;
      if (remaining_ == 0 && !complete_frame(out)) return err_;
      continue;
    }
    std::string& dest = is_control(frame_op_) ? control_ : message_;
    const std::size_t old_size = dest.size();
    dest.append(p, take);
    apply_mask(reinterpret_cast<unsigned char*>(dest.data()) + old_size, take, mask_, mask_phase_);
    mask_phase_ = (mask_phase_ + take) & 3;
    p += take;
    n -= take;
    remaining_ -= take;
    if (remaining_ == 0 && !complete_frame(out)) return err_;
  }
}

bool decoder::read_header(const char*& p, std::size_t& n) {
  while (hdr_len_ < hdr_need_) {
    if (n == 0) return false;
    const std::size_t k = std::min(hdr_need_ - hdr_len_, n);
    std::memcpy(hdr_ + hdr_len_, p, k);
    p += k;
    n -= k;
    hdr_len_ += k;
    // hdr_need_ grows past 2 once the first two bytes pass, so this runs once per frame and
    // rejects bad frames before waiting for their extended length and mask.
    if (hdr_len_ == 2 && hdr_need_ == 2 && !check_first_two_bytes()) return false;
  }
  return finish_header();
}

bool decoder::check_first_two_bytes() {
  const unsigned char b0 = hdr_[0];
  const unsigned char b1 = hdr_[1];
  const std::uint8_t op = b0 & opcode_bits;
  const bool fin = (b0 & fin_bit) != 0;
  const std::size_t len7 = b1 & length_bits;

  // No extension is ever negotiated, so any RSV bit is a violation (RFC 6455 5.2).
  if ((b0 & rsv_bits) != 0 || !is_known(op)) {
    err_ = decode_error::protocol_error;
    return false;
  }
  if ((b1 & mask_bit) == 0) {
    err_ = decode_error::not_masked;
    return false;
  }
  frame_op_ = static_cast<opcode>(op);
  frame_fin_ = fin;
  if (is_control(frame_op_)) {
    // 126/127 would announce an extended length, which control frames may not have.
    if (!fin || len7 > max_control_payload) {
      err_ = decode_error::protocol_error;
      return false;
    }
  } else if ((frame_op_ == opcode::continuation) != in_message_) {
    err_ = decode_error::protocol_error;
    return false;
  }
  const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  hdr_need_ = 2 + ext + 4;
  return true;
}

bool decoder::finish_header() {
  const std::size_t len7 = hdr_[1] & length_bits;
  std::uint64_t len = len7;
  std::size_t pos = 2;
  if (len7 == 126) {
    len = (std::uint64_t{hdr_[2]} << 8) | hdr_[3];
    pos = 4;
  } else if (len7 == 127) {
    len = 0;
    for (std::size_t i = 0; i < 8; ++i) len = (len << 8) | hdr_[2 + i];
    pos = 10;
    if ((len >> 63) != 0) {
      err_ = decode_error::protocol_error;
      return false;
    }
  }
  if (!is_control(frame_op_)) {
    // message_ holds earlier fragments (empty for a new message) and never exceeds the cap,
    // so the subtraction cannot wrap. Checking here refuses the payload before buffering it.
    if (frame_op_ != opcode::continuation) {
      in_message_ = true;
      message_op_ = frame_op_;
    }
    if (skipping_ || len > max_message_bytes_ - message_.size()) {
      if (!skip_oversized_) {
        err_ = decode_error::too_large;
        return false;
      }
      skipping_ = true;
      std::string{}.swap(message_);
    }
  }
  // Reserving the declared length copies the payload exactly once instead of once per
  // regrowth. The cap check above bounds it, and so does max_upfront_reserve, so a bare
  // header cannot make us commit much memory (nor throw) before any payload arrives.
  // make_room keeps growth geometric so a message sent as many tiny fragments stays linear.
  if (!skipping_ || is_control(frame_op_))
    make_room(is_control(frame_op_) ? control_ : message_,
              static_cast<std::size_t>(std::min<std::uint64_t>(len, max_upfront_reserve)));
  std::memcpy(mask_, hdr_ + pos, sizeof mask_);
  mask_phase_ = 0;
  remaining_ = len;
  in_payload_ = true;
  hdr_len_ = 0;
  hdr_need_ = 2;
  return true;
}

bool decoder::complete_frame(std::vector<message>& out) {
  in_payload_ = false;
  if (is_control(frame_op_)) {
    if (frame_op_ == opcode::close && !valid_close_payload(control_)) {
      err_ = decode_error::bad_close;
      return false;
    }
    out.push_back(message{frame_op_, std::move(control_)});
    control_.clear();
  } else if (frame_fin_) {
    if (message_op_ == opcode::text && !skipping_ && !valid_utf8(message_)) {
      err_ = decode_error::invalid_utf8;
      return false;
    }
    out.push_back(message{message_op_, std::move(message_), skipping_});
    message_.clear();
    in_message_ = false;
    skipping_ = false;
  }
  return true;
}

bool decoder::valid_close_payload(std::string_view p) noexcept {
  if (p.empty()) return true;
  if (p.size() == 1) return false;
  return valid_close_code(close_code_of(p)) && valid_utf8(p.substr(2));
}

bool valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

std::uint16_t close_code_of(std::string_view payload) noexcept {
  if (payload.size() < 2) return 1005;
  return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                    static_cast<unsigned char>(payload[1]));
}

std::uint16_t close_code(decode_error e) noexcept {
  switch (e) {
    case decode_error::none:
      return 1000;
    case decode_error::too_large:
      return 1009;
    case decode_error::invalid_utf8:
      return 1007;
    case decode_error::protocol_error:
    case decode_error::not_masked:
    case decode_error::bad_close:
      break;
  }
  return 1002;
}

std::size_t encode_header(opcode op, std::size_t n, unsigned char* hdr) noexcept {
  hdr[0] = fin_bit | static_cast<unsigned char>(op);
  return 1 + put_length(hdr, n, 0);
}

void encode_frame(opcode op, std::string_view payload, std::string& out) {
  unsigned char hdr[10];
  const std::size_t len = encode_header(op, payload.size(), hdr);
  make_room(out, len + payload.size());
  out.append(reinterpret_cast<const char*>(hdr), len);
  out.append(payload);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  if (reason.size() > max_close_reason) {
    // Clients fail the connection on a reason that is not UTF-8, so do not cut a code point
    // in half: back off over at most 3 continuation bytes to the sequence's lead byte.
    auto continuation = [&](std::size_t i) {
      return (static_cast<unsigned char>(reason[i]) & 0xC0) == 0x80;
    };
    std::size_t cut = max_close_reason;
    std::size_t back = 0;
    while (back < 3 && continuation(cut - back)) ++back;
    if (!continuation(cut - back)) cut -= back;
    reason = reason.substr(0, cut);
  }
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

void encode_client_frame(opcode op, std::string_view payload, std::uint32_t mask, std::string& out,
                         bool fin) {
  unsigned char hdr[14];
  hdr[0] = (fin ? fin_bit : 0) | static_cast<unsigned char>(op);
  std::size_t len = 1 + put_length(hdr, payload.size(), mask_bit);
  for (std::size_t i = 0; i < 4; ++i)
    hdr[len + i] = static_cast<unsigned char>(mask >> (24 - 8 * i));
  const unsigned char* key = hdr + len;
  len += 4;
  make_room(out, len + payload.size());
  out.append(reinterpret_cast<const char*>(hdr), len);
  const std::size_t old_size = out.size();
  out.append(payload);
  apply_mask(reinterpret_cast<unsigned char*>(out.data()) + old_size, payload.size(), key, 0);
}

}  // namespace relay::ws
