#include "protocol/multipart.hpp"

#include <algorithm>
#include <functional>

namespace relay::multipart {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 2046 5.1.1: bcharsnospace, plus space when not last.
bool is_bchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z')) return true;
  return std::string_view{"'()+_,-./:=? "}.find(c) != std::string_view::npos;
}

bool is_tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z')) return true;
  return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

// The `;`-separated parameters after a header value's first token, RFC 9110 5.6.6:
// `token=token` or `token="quoted\"string"`. Calls `on(name, value)` for each; false
// when the list is malformed.
template <class On>
bool read_params(std::string_view s, On on) {
  while (true) {
    s = trim(s);
    if (s.empty()) return true;
    if (s.front() != ';') return false;
    s.remove_prefix(1);
    s = trim(s);
    if (s.empty()) return true;  // a trailing `;` is harmless
    std::size_t n = 0;
    while (n < s.size() && is_tchar(s[n])) ++n;
    if (n == 0 || n >= s.size() || s[n] != '=') return false;
    auto name = s.substr(0, n);
    s.remove_prefix(n + 1);
    std::string value;
    if (!s.empty() && s.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') {
          closed = true;
          break;
        }
        // A backslash escapes only a quote or a backslash: browsers send file names
        // unescaped (a quote as %22), so `C:\dir\x.txt` keeps its separators.
        if (c == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) c = s[++i];
        // Control characters have no place in a parameter (a CR or NUL in a file name
        // would reach a header we write).
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
        value.push_back(c);
      }
      if (!closed) return false;
      s.remove_prefix(i + 1);
    } else {
      std::size_t m = 0;
      while (m < s.size() && is_tchar(s[m])) ++m;
      if (m == 0) return false;
      value.assign(s.substr(0, m));
      s.remove_prefix(m);
    }
    if (!on(name, std::move(value))) return false;
  }
}

// One part's head: header lines up to the blank line. False (with `error`) when it is
// not a form-data part.
bool read_head(std::string_view head, part& p, std::string& error) {
  bool disposition = false;
  while (!head.empty()) {
    auto eol = head.find("\r\n");
    auto line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = "a part has a malformed header line";
      return false;
    }
    auto name = line.substr(0, colon);
    for (char c : name)
      if (!is_tchar(c)) {
        error = "a part has a malformed header name";
        return false;
      }
    auto value = trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        error = "a part header holds a control character";
        return false;
      }
    if (iequals(name, "Content-Disposition")) {
      if (disposition) {
        error = "a part has two Content-Disposition headers";
        return false;
      }
      disposition = true;
      auto semi = value.find(';');
      if (!iequals(trim(value.substr(0, semi)), "form-data")) {
        error = "a part's Content-Disposition is not form-data";
        return false;
      }
      bool has_name = false;
      bool ok =
          read_params(semi == std::string_view::npos ? std::string_view{} : value.substr(semi),
                      [&](std::string_view k, std::string v) {
                        if (iequals(k, "name")) {
                          if (has_name) return false;
                          has_name = true;
                          p.name = std::move(v);
                        } else if (iequals(k, "filename")) {
                          if (p.filename) return false;
                          p.filename = std::move(v);
                        }
                        return true;  // filename* and others: ignored
                      });
      if (!ok || !has_name) {
        error = "a part's Content-Disposition needs one name=\"…\"";
        return false;
      }
    } else if (iequals(name, "Content-Type")) {
      if (!p.content_type.empty()) {
        error = "a part has two Content-Type headers";
        return false;
      }
      p.content_type = std::string(value);
    }
    // Other headers (Content-Transfer-Encoding is deprecated by RFC 7578 4.7) are ignored.
  }
  if (!disposition) {
    error = "a part has no Content-Disposition";
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> boundary_of(std::string_view content_type) {
  auto semi = content_type.find(';');
  if (!iequals(trim(content_type.substr(0, semi)), "multipart/form-data")) return std::nullopt;
  if (semi == std::string_view::npos) return std::nullopt;
  std::optional<std::string> boundary;
  bool ok = read_params(content_type.substr(semi), [&](std::string_view k, std::string v) {
    if (!iequals(k, "boundary")) return true;
    if (boundary) return false;
    boundary = std::move(v);
    return true;
  });
  if (!ok || !boundary || boundary->empty() || boundary->size() > 70 || boundary->back() == ' ')
    return std::nullopt;
  for (char c : *boundary)
    if (!is_bchar(c)) return std::nullopt;
  return boundary;
}

result parse(std::string_view body, std::string_view boundary, const limits& l) {
  result r;
  auto fail = [&r](std::string why) {
    r.parts.clear();
    r.error = std::move(why);
    return std::move(r);
  };
  if (boundary.empty() || boundary.size() > 70) return fail("invalid multipart boundary");
  const std::string first = "--" + std::string(boundary);
  // Every delimiter after the first is preceded by the CRLF that ends the data before it
  // (RFC 2046 5.1.1: the CRLF belongs to the delimiter, not to the data).
  const std::string delimiter = "\r\n" + first;
  // Boyer-Moore-Horspool: a plain find() is quadratic on bodies built of near-boundaries
  // (`\r\n--aaaa…` repeated), and a body is up to the attachment cap.
  const std::boyer_moore_horspool_searcher search(delimiter.begin(), delimiter.end());
  if (body.substr(0, first.size()) != first)
    return fail("multipart body does not start with its boundary");
  std::size_t pos = first.size();
  while (true) {
    // After a delimiter: `--` ends the body, CRLF starts a part; RFC 2046 allows
    // whitespace before the CRLF (transport padding).
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) == "--") return r;  // the epilogue after it is ignored
    if (body.substr(pos, 2) != "\r\n") return fail("malformed multipart delimiter line");
    pos += 2;
    if (r.parts.size() == l.max_parts)
      return fail("too many parts (at most " + std::to_string(l.max_parts) + ")");
    const auto window = body.substr(pos, l.max_head_bytes + 4);
    std::size_t head_end;
    if (window.substr(0, 2) == "\r\n") {
      head_end = 0;  // no headers at all: read_head() refuses it
    } else {
      auto e = window.find("\r\n\r\n");
      if (e == std::string_view::npos)
        return fail(window.size() > l.max_head_bytes ? "a part's headers are too large"
                                                     : "a part's headers are incomplete");
      head_end = e + 2;
    }
    if (head_end > l.max_head_bytes) return fail("a part's headers are too large");
    part p;
    std::string error;
    // The head without its final CRLF: lines separated by CRLF.
    std::string_view head = body.substr(pos, head_end == 0 ? 0 : head_end - 2);
    if (!read_head(head, p, error)) return fail(std::move(error));
    pos += head_end + 2;
    auto data_begin = body.begin() + static_cast<std::ptrdiff_t>(pos);
    auto found = std::search(data_begin, body.end(), search);
    if (found == body.end()) return fail("multipart body ends inside a part");
    auto data_end = static_cast<std::size_t>(found - body.begin());
    p.data = body.substr(pos, data_end - pos);
    r.parts.push_back(std::move(p));
    pos = data_end + delimiter.size();
  }
}

}  // namespace relay::multipart
