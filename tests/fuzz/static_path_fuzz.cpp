// The browser client's paths (transport/static_files decide_path) and the two headers
// it reads (Accept-Encoding, If-None-Match). The input is a request path, then a newline,
// then header text. Checked: a path that names a file names one under the web root (no
// empty, `.` or `..` segment, no `\` or NUL, nothing absolute), the asset folder's 404
// rule applies only to `assets` and below, an API path's first segment decodes to an API
// one, and the file's name encoded again is decided the same way.

#include <string>

#include "tests/fuzz/fuzz_check.hpp"
#include "transport/static_files.hpp"

namespace web = relay::web;

namespace {

std::string percent_encode_all(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c == '/') {
      out += '/';
      continue;
    }
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// An oracle of its own, written for the check: %XX escapes to their bytes.
std::string decode(std::string_view s) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && nibble(s[i + 1]) >= 0 && nibble(s[i + 2]) >= 0) {
      out += static_cast<char>(nibble(s[i + 1]) * 16 + nibble(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void check_file(const web::path_decision& d) {
  const auto& f = d.file;
  FUZZ_CHECK(!f.empty() && f.front() != '/' && f.back() != '/');
  FUZZ_CHECK(f.find('\\') == std::string::npos && f.find('\0') == std::string::npos);
  FUZZ_CHECK(f.find("//") == std::string::npos);
  std::string_view rest = f;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    FUZZ_CHECK(seg != "." && seg != "..");
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  }
  if (d.if_missing == web::path_decision::missing::not_found)
    FUZZ_CHECK(f == "assets" || f.starts_with("assets/"));
  (void)web::content_type(f);
  (void)web::compressible(f);
  FUZZ_CHECK(!web::cache_control(f).empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [path, header] = relay::fuzz::split_first_line(relay::fuzz::as_text(data, size));

  auto d = web::decide_path(path);
  switch (d.what) {
    case web::path_decision::kind::file: {
      check_file(d);
      // Every byte escaped: the same file (the client's own links round-trip).
      if (d.file != "index.html" || path.find_first_not_of('/') != std::string_view::npos) {
        auto again = web::decide_path("/" + percent_encode_all(d.file));
        FUZZ_CHECK(again.what == web::path_decision::kind::file);
        FUZZ_CHECK(again.file == d.file && again.if_missing == d.if_missing);
      }
      break;
    }
    case web::path_decision::kind::api: {
      // Decided on the first segment's decoded text (`%61pi` is `api`).
      auto first = path.substr(path.find_first_not_of('/'));
      first = first.substr(0, first.find('/'));
      FUZZ_CHECK(web::is_api_segment(decode(first)));
      break;
    }
    case web::path_decision::kind::bad_path:
      FUZZ_CHECK(d.file.empty());
      break;
  }

  (void)web::accepts_gzip(header);
  (void)web::etag_matches(header, "\"abc123\"");
  FUZZ_CHECK(web::etag_matches("*", "\"abc123\""));
  return 0;
}
