#pragma once

// multipart/form-data (RFC 7578 over RFC 2046 5.1) as browsers and curl send it, read
// from a body the HTTP reader has already bounded. Kept free of I/O so the upload
// handler, its unit tests and tests/fuzz/multipart_fuzz.cpp run the very same code.
//
// Strict on purpose: a body must start with its first delimiter (no preamble), each
// part carries `Content-Disposition: form-data; name="…"`, a part's head is bounded, and
// so is the number of parts. The parts point into the body: nothing is copied.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::multipart {

/// What one body may hold besides its data.
struct limits {
  std::size_t max_parts = 8;          ///< parts in the body
  std::size_t max_head_bytes = 4096;  ///< one part's header lines, CRLFs included
};

/// One part. `data` and the strings are views into the body passed to parse().
struct part {
  std::string name;                     ///< the form field's name
  std::optional<std::string> filename;  ///< as the client sent it: never a path to use
  std::string content_type;             ///< the part's Content-Type as sent, or ""
  std::string_view data;
};

/// Either the parts, or why the body is not multipart/form-data (a sentence for a 400).
struct result {
  std::vector<part> parts;
  std::string error;  ///< empty on success
  explicit operator bool() const noexcept { return error.empty(); }
};

/// The boundary of a `Content-Type: multipart/form-data; boundary=…` header value
/// (quoted or not; 1 to 70 characters of RFC 2046's bchars), or nothing when the
/// header is not multipart/form-data or names no valid boundary.
std::optional<std::string> boundary_of(std::string_view content_type);

/// Splits `body` into its parts. `body` must outlive the result.
result parse(std::string_view body, std::string_view boundary, const limits& l = {});

}  // namespace relay::multipart
