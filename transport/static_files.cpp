#include "transport/static_files.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <stdexcept>

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/crc.hpp>

namespace relay::web {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; false on a malformed one.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// A segment that may name a file under the root: no separator of any platform once
// decoded (an encoded `/` would otherwise join `..` back into a path), no NUL, and no
// leading dot, which refuses `.` and `..` and keeps hidden files (.git, .env) private
// if the root is ever pointed at more than a build.
bool safe_segment(std::string_view s) {
  if (s.empty() || s.front() == '.') return false;
  for (char c : s)
    if (c == '/' || c == '\\' || c == '\0') return false;
  return true;
}

std::string extension(std::string_view file) {
  auto slash = file.rfind('/');
  auto name = slash == std::string_view::npos ? file : file.substr(slash + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext{name.substr(dot + 1)};
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

struct type_row {
  std::string_view ext;
  std::string_view type;
  bool text;
};

// clang-format off
constexpr std::array types{
    type_row{"html",        "text/html; charset=utf-8",              true},
    type_row{"js",          "text/javascript; charset=utf-8",        true},
    type_row{"mjs",         "text/javascript; charset=utf-8",        true},
    type_row{"css",         "text/css; charset=utf-8",               true},
    type_row{"svg",         "image/svg+xml",                         true},
    type_row{"json",        "application/json",                      true},
    type_row{"webmanifest", "application/manifest+json",             true},
    type_row{"map",         "application/json",                      true},
    type_row{"txt",         "text/plain; charset=utf-8",             true},
    type_row{"xml",         "application/xml",                       true},
    type_row{"png",         "image/png",                             false},
    type_row{"jpg",         "image/jpeg",                            false},
    type_row{"jpeg",        "image/jpeg",                            false},
    type_row{"webp",        "image/webp",                            false},
    type_row{"ico",         "image/x-icon",                          false},
    type_row{"woff2",       "font/woff2",                            false},
    type_row{"woff",        "font/woff",                             false},
    type_row{"wasm",        "application/wasm",                      false},
};
// clang-format on

const type_row* find_type(std::string_view file) {
  auto ext = extension(file);
  for (auto& t : types)
    if (t.ext == ext) return &t;
  return nullptr;
}

// The q value of one Accept-Encoding entry's parameters (";q=0.5"); 1 when absent.
double quality(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    p.remove_prefix(2);
    // q is 0, 1 or 0.xxx (RFC 9110 12.4.2): zero only when every digit is.
    for (char c : p)
      if (c >= '1' && c <= '9') return 1;
    return 0;
  }
  return 1;
}

std::string_view strip_weak(std::string_view tag) {
  if (tag.size() >= 2 && tag[0] == 'W' && tag[1] == '/') tag.remove_prefix(2);
  return tag;
}

}  // namespace

bool is_api_segment(std::string_view s) {
  return s == "api" || s == "auth" || s == "v1" || s == "metrics" || s == "hooks" || s == "mcp";
}

path_decision decide_path(std::string_view encoded_path) {
  path_decision d;
  std::string decoded;
  std::string file;
  bool first = true;
  while (!encoded_path.empty()) {
    auto slash = encoded_path.find('/');
    auto seg = encoded_path.substr(0, slash);
    encoded_path =
        slash == std::string_view::npos ? std::string_view{} : encoded_path.substr(slash + 1);
    if (seg.empty()) continue;
    if (!percent_decode(seg, decoded)) return d;
    if (first && is_api_segment(decoded)) {
      d.what = path_decision::kind::api;
      return d;
    }
    if (!safe_segment(decoded)) return d;
    if (first && decoded == "assets") d.if_missing = path_decision::missing::not_found;
    first = false;
    if (!file.empty()) file += '/';
    file += decoded;
  }
  d.what = path_decision::kind::file;
  d.file = file.empty() ? "index.html" : std::move(file);
  return d;
}

std::string_view content_type(std::string_view file) {
  auto* t = find_type(file);
  return t ? t->type : "application/octet-stream";
}

bool compressible(std::string_view file) {
  auto* t = find_type(file);
  return t && t->text;
}

std::string_view cache_control(std::string_view file) {
  if (file.starts_with("assets/")) return "public, max-age=31536000, immutable";
  return "no-cache";
}

std::string content_security_policy(std::string_view public_url, std::string_view avatar_hosts) {
  // A host that could end the directive or widen it (userinfo, a path, a wildcard, `;`,
  // a space or a quote) is left out.
  auto usable = [](std::string_view host) {
    if (host.empty()) return false;
    for (char c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
          c != '[' && c != ']')
        return false;
    return true;
  };
  std::string sockets;
  auto scheme_end = public_url.find("://");
  if (scheme_end != std::string_view::npos) {
    auto host = public_url.substr(scheme_end + 3);
    host = host.substr(0, host.find_first_of("/?#"));
    if (usable(host)) sockets = " ws://" + std::string(host) + " wss://" + std::string(host);
  }
  std::string images;
  while (!avatar_hosts.empty()) {
    auto comma = avatar_hosts.find(',');
    auto origin = trim(avatar_hosts.substr(0, comma));
    avatar_hosts =
        comma == std::string_view::npos ? std::string_view{} : avatar_hosts.substr(comma + 1);
    for (std::string_view scheme : {"https://", "http://"})
      if (origin.starts_with(scheme) && usable(origin.substr(scheme.size())))
        images += " " + std::string(origin);
  }
  return "default-src 'self'; connect-src 'self'" + sockets + "; img-src 'self' data:" + images +
         "; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
}

bool accepts_gzip(std::string_view header) {
  int gzip = -1, any = -1;  // -1: not named
  while (!header.empty()) {
    auto comma = header.find(',');
    auto entry = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto semi = entry.find(';');
    std::string coding{trim(entry.substr(0, semi))};
    for (auto& c : coding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    int ok =
        quality(semi == std::string_view::npos ? std::string_view{} : entry.substr(semi + 1)) > 0
            ? 1
            : 0;
    if (coding == "gzip" || coding == "x-gzip")
      gzip = std::max(gzip, ok);
    else if (coding == "*")
      any = ok;
  }
  // gzip named wins over `*` either way (`gzip;q=0, *` refuses it).
  return gzip >= 0 ? gzip == 1 : any == 1;
}

bool etag_matches(std::string_view header, std::string_view etag) {
  if (trim(header) == "*") return true;
  etag = strip_weak(etag);
  while (!header.empty()) {
    auto comma = header.find(',');
    auto tag = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (strip_weak(tag) == etag) return true;
  }
  return false;
}

std::string gzip(std::string_view data) {
  namespace zlib = boost::beast::zlib;
  // Header: magic, deflate, no flags, no mtime (the same bytes for the same file),
  // XFL 2 (best compression), OS 3 (Unix).
  std::string out{"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10};
  zlib::deflate_stream ds;
  ds.reset(9, 15, 8, zlib::Strategy::normal);
  const auto header = out.size();
  out.resize(header + ds.upper_bound(data.size()));
  zlib::z_params zs;
  zs.next_in = data.data();
  zs.avail_in = data.size();
  zs.next_out = out.data() + header;
  zs.avail_out = out.size() - header;
  boost::system::error_code ec;
  ds.write(zs, zlib::Flush::finish, ec);
  // With upper_bound's room the stream always ends in this one call.
  if (ec != zlib::error::end_of_stream) throw std::runtime_error("gzip: " + ec.message());
  out.resize(header + zs.total_out);
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  auto put32 = [&out](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  put32(crc.checksum());
  put32(static_cast<std::uint32_t>(data.size()));  // ISIZE is the size modulo 2^32
  return out;
}

}  // namespace relay::web
