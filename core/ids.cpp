#include "core/ids.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <mutex>
#include <stdexcept>

namespace relay {

namespace {

constexpr char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct monotonic_state {
  std::mutex mtx;  // id creation is rare next to fan-out; a mutex is cheaper than an actor hop
  std::int64_t last_ms = -1;
  std::array<std::uint8_t, 10> random{};
};

monotonic_state& state() {
  static monotonic_state s;
  return s;
}

void fill_random(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

}  // namespace

std::string make_id(std::string_view prefix) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return make_id(prefix, std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

std::string make_id(std::string_view prefix, std::int64_t unix_ms) {
  std::array<std::uint8_t, 10> rnd;
  {
    auto& s = state();
    std::lock_guard<std::mutex> guard{s.mtx};
    if (unix_ms <= s.last_ms) {
      // Same millisecond (or clock stepped back): increment so ids keep sorting.
      unix_ms = s.last_ms;
      for (int i = 9; i >= 0; --i)
        if (++s.random[i] != 0) break;
    } else {
      s.last_ms = unix_ms;
      fill_random(s.random.data(), s.random.size());
      s.random[0] &= 0x7f;  // headroom so increments within a millisecond never wrap
    }
    rnd = s.random;
  }
  std::string out{prefix};
  out += '_';
  auto ts = static_cast<std::uint64_t>(unix_ms);
  char buf[26];
  for (int i = 9; i >= 0; --i) {
    buf[i] = crockford[ts & 31];
    ts >>= 5;
  }
  // 80 random bits -> 16 characters of 5 bits, as two 40-bit halves.
  for (int half = 0; half < 2; ++half) {
    std::uint64_t r = 0;
    for (int k = 0; k < 5; ++k) r = (r << 8) | rnd[static_cast<std::size_t>(half * 5 + k)];
    for (int i = 17 + half * 8; i >= 10 + half * 8; --i) {
      buf[i] = crockford[r & 31];
      r >>= 5;
    }
  }
  out.append(buf, 26);
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  fill_random(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::array<unsigned char, 32> sha256(std::string_view data) {
  // EVP_sha256() is OpenSSL 3's legacy handle: every EVP_Digest with it looks SHA-256 up
  // in the provider tables again, which cost more than hashing a token (2.8 against 1.1
  // us). Fetched once, the digest is immutable and shared by all threads.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 ||
      len != out.size())
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
  return out;
}

std::string sha256_hex(std::string_view data) {
  const auto md = sha256(data);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(md.size() * 2);
  for (std::size_t i = 0; i < md.size(); ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace relay
