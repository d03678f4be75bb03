#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace relay {

/// A ULID-style id: `<prefix>_` + 26 Crockford base32 characters, the first 10
/// encoding the millisecond timestamp so ids sort by creation time.
/// Within one process and millisecond the random part is incremented, so ids
/// made by one node are strictly increasing.
std::string make_id(std::string_view prefix);

/// Same, with an explicit timestamp (used by tests and migrations).
std::string make_id(std::string_view prefix, std::int64_t unix_ms);

/// Cryptographically random bytes, hex encoded (2 characters per byte).
std::string random_hex(std::size_t bytes);

/// The SHA-256 digest of the input.
std::array<unsigned char, 32> sha256(std::string_view data);

/// Lower-case hex SHA-256 of the input.
std::string sha256_hex(std::string_view data);

}  // namespace relay
