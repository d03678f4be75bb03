// The secrets a client presents: the signed `relay_session` (rls_…) and `relay_oauth`
// cookie values checked with auth::verify, the base64url they carry, and the bearer
// tokens (API rlt_…, agent rla_…, app rlk_<app>_<secret>, hall relay_live_… /
// relay_test_…) that the actors look up only by sha256_hex after a prefix check. The
// input is one presented value.
// Checked: a value verify() accepts is the one signed form of what it returns (no
// padding, no alternative trailing bits, no second encoding); base64url decodes only
// canonical text and round-trips; sign/verify round-trips any value, including ones
// that contain '.', and another key never verifies; a token's store key is 64 hex digits.

#include <string>

#include "auth/signing.hpp"
#include "core/base64.hpp"
#include "core/ids.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace auth = relay::auth;

namespace {

constexpr std::string_view key = "fuzz-cookie-secret";

bool lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = relay::fuzz::as_text(data, size);

  // A presented cookie value.
  if (auto value = auth::verify(key, text)) FUZZ_CHECK(auth::sign(key, *value) == text);

  // Its base64url: only canonical text decodes, and it encodes back to itself.
  if (auto bytes = relay::base64::decode_url(text)) {
    auto unpadded = text;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.remove_suffix(1);
    FUZZ_CHECK(relay::base64::encode_url(*bytes) == unpadded);
    FUZZ_CHECK(bytes->size() == unpadded.size() * 3 / 4);
  }
  auto encoded = relay::base64::encode_url(text);
  auto decoded = relay::base64::decode_url(encoded);
  FUZZ_CHECK(decoded && *decoded == text);

  // A value the server signs (a session token, an OAuth state with '|' and a path).
  auto signed_value = auth::sign(key, text);
  auto verified = auth::verify(key, signed_value);
  FUZZ_CHECK(verified && *verified == text);
  FUZZ_CHECK(!auth::verify("another-secret", signed_value));
  FUZZ_CHECK(auth::hmac_sha256(key, text).size() == 32);

  // A bearer token's store key, whatever its prefix.
  auto hash = relay::sha256_hex(text);
  FUZZ_CHECK(hash.size() == 64 && lower_hex(hash));
  return 0;
}
