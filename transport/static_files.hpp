#pragma once

// What Relay answers for a path of the browser client (docs/api.md, "The browser
// client"): the decisions only, no I/O, so each is tested on its own
// (tests/unit/static_files_test.cpp). transport/web_root.hpp reads the files.

#include <string>
#include <string_view>

namespace relay::web {

/// The first path segments that belong to the API: `/api`, `/auth`, `/v1`, `/metrics`,
/// `/hooks`.
/// unit.static_files checks that every route of api/routes.cpp starts with one.
bool is_api_segment(std::string_view first_segment);

/// What a GET or HEAD path asks of the client's files.
struct path_decision {
  enum class kind {
    api,       ///< the API's: the route table answers it
    bad_path,  ///< a `.` or `..` segment, an encoded `/` or `\`, a NUL, bad escapes: 400
    file,      ///< `file` under the web root, if it is one; else `if_missing`
  };
  enum class missing {
    index,      ///< any other path: index.html (client-side routes survive a reload)
    not_found,  ///< under `/assets/`: a hashed file that is gone is 404, never the page
  };
  kind what = kind::bad_path;
  std::string file;  ///< relative, `/`-separated, percent-decoded; "index.html" for `/`
  missing if_missing = missing::index;
};

/// Decides for a request target's path as sent (percent-encoded, no query). Empty
/// segments are skipped (`//x` is `/x`), as the route table does.
path_decision decide_path(std::string_view encoded_path);

/// The Content-Type of a file by its extension; application/octet-stream if unknown.
std::string_view content_type(std::string_view file);

/// Whether gzip shrinks the type (text: html, js, css, svg, json, map, txt …);
/// png, ico and woff2 are compressed already.
bool compressible(std::string_view file);

/// `/assets/` holds Vite's content-hashed files, which never change under one name:
/// cached for a year. Everything else (index.html names the current hashes) is
/// revalidated on each use.
std::string_view cache_control(std::string_view file);

/// The policy the client is built and tested for (docs/web.md): nothing but its own
/// files, no inline script or style, sockets only to Relay. `public_url` (e.g.
/// `https://chat.example.com`) names Relay's ws/wss origin for browsers that do not
/// count same-origin sockets as 'self'; an unusable one leaves them to 'self'.
/// `avatar_hosts` (the option: comma-separated `http(s)://host[:port]`) are added to
/// `img-src`, so users' and rooms' avatars from those hosts load; an entry that is not
/// such an origin is left out.
std::string content_security_policy(std::string_view public_url, std::string_view avatar_hosts);

/// Whether an Accept-Encoding header accepts gzip (`gzip`, `x-gzip` or `*`, q > 0).
bool accepts_gzip(std::string_view accept_encoding);

/// Whether an If-None-Match header names `etag` (weak comparison, or `*`).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

/// `data` as a gzip member (RFC 1952), compressed at the best level: each file is
/// compressed once per version, so the time is spent once.
std::string gzip(std::string_view data);

}  // namespace relay::web
