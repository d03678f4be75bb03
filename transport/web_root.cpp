#include "transport/web_root.hpp"

#include <fstream>
#include <iterator>

#include "transport/static_files.hpp"

namespace relay::web {

namespace fs = std::filesystem;

namespace {

// A file bigger than this is not the client's (its bundle is tens of KB): refused
// rather than read into memory.
constexpr std::uint64_t max_file_bytes = 32u << 20;
// Past this the cache starts over; old hashed files of earlier builds are what it drops.
constexpr std::size_t max_cached_bytes = 64u << 20;
// Below this gzip saves less than its header and a round of the client's inflater.
constexpr std::size_t min_gzip_bytes = 256;

std::string hex(std::uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return s;
}

}  // namespace

web_root::web_root(std::string root, std::string_view public_url, std::string_view avatar_hosts)
    : root_(std::move(root)), csp_(content_security_policy(public_url, avatar_hosts)) {}

bool web_root::serves(std::string_view encoded_path) {
  return decide_path(encoded_path).what != path_decision::kind::api;
}

bool web_root::built() const {
  std::error_code ec;
  return fs::is_regular_file(fs::path(root_) / "index.html", ec);
}

web_root::lookup web_root::find(const std::string& rel, std::shared_ptr<const file>& out) {
  std::error_code ec;
  // Resolved on each request, so a root built (or rebuilt) after start-up is served.
  auto base = fs::canonical(root_, ec);
  if (ec) return lookup::missing;
  auto real = fs::canonical(base / rel, ec);
  if (ec) return lookup::missing;
  // canonical() resolved every symlink on the way: what is left must still be below the
  // root, or the path (a link planted in the build, say) leads out of it.
  auto below = real.lexically_relative(base);
  if (below.empty() || *below.begin() == "..") return lookup::outside;
  if (!fs::is_regular_file(real, ec)) return lookup::missing;  // a directory, a socket …
  auto size = fs::file_size(real, ec);
  if (ec) return lookup::unreadable;
  auto mtime = fs::last_write_time(real, ec);
  if (ec) return lookup::unreadable;
  if (size > max_file_bytes) return lookup::too_large;
  {
    std::lock_guard lock{mutex_};
    if (auto it = cache_.find(real.string()); it != cache_.end()) {
      if (it->second->size == size && it->second->mtime == mtime) {
        out = it->second;
        return lookup::found;
      }
    }
  }
  out = load(real, size, mtime, rel);
  return out ? lookup::found : lookup::unreadable;
}

std::shared_ptr<const web_root::file> web_root::load(const fs::path& real, std::uint64_t size,
                                                     fs::file_time_type mtime,
                                                     std::string_view rel) {
  std::ifstream in(real, std::ios::binary);
  if (!in) return nullptr;
  std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad() || data.size() != size) return nullptr;  // changed while read: next request
  auto f = std::make_shared<file>();
  f->size = size;
  f->mtime = mtime;
  f->etag = "W/\"" + hex(size) + "-" +
            hex(static_cast<std::uint64_t>(mtime.time_since_epoch().count())) + "\"";
  if (compressible(rel) && data.size() >= min_gzip_bytes) {
    auto gz = gzip(data);
    if (gz.size() < data.size()) f->gz = std::make_shared<const std::string>(std::move(gz));
  }
  f->raw = std::make_shared<const std::string>(std::move(data));
  const std::size_t bytes = f->raw->size() + (f->gz ? f->gz->size() : 0);
  std::lock_guard lock{mutex_};
  auto& slot = cache_[real.string()];
  if (slot) cached_bytes_ -= slot->raw->size() + (slot->gz ? slot->gz->size() : 0);
  if (cached_bytes_ + bytes > max_cached_bytes) {
    cache_.clear();
    cached_bytes_ = 0;
  }
  cache_[real.string()] = f;
  cached_bytes_ += bytes;
  return f;
}

reply web_root::serve(std::string_view encoded_path, bool head, std::string_view accept_encoding,
                      std::string_view if_none_match) {
  auto r = get(encoded_path, accept_encoding, if_none_match);
  if (head) r.body = nullptr;  // HEAD: the headers (Content-Length too) a GET gets
  return r;
}

reply web_root::get(std::string_view encoded_path, std::string_view accept_encoding,
                    std::string_view if_none_match) {
  auto d = decide_path(encoded_path);
  if (d.what == path_decision::kind::api) return error(404, "NOT_FOUND", "no such endpoint");
  if (d.what == path_decision::kind::bad_path)
    return error(400, "BAD_REQUEST",
                 "path not allowed: a dot segment, a hidden file or an encoded separator");
  std::shared_ptr<const file> f;
  auto rel = d.file;
  auto found = find(rel, f);
  if (found == lookup::outside) return error(403, "FORBIDDEN", "path leads outside the web root");
  if (found == lookup::too_large) return error(500, "INTERNAL_ERROR", "file too large to serve");
  if (found != lookup::found) {
    if (d.if_missing == path_decision::missing::not_found)
      return error(404, "NOT_FOUND", "no such file");
    rel = "index.html";
    if (find(rel, f) != lookup::found)
      return error(503, "UNAVAILABLE",
                   "the browser client is not built: run `make web` (or `npm run build` in "
                   "web/), or point --web-root (RELAY_WEB_ROOT) at a built client");
  }
  return answer(*f, rel, accept_encoding, if_none_match);
}

reply web_root::answer(const file& f, std::string_view rel, std::string_view accept_encoding,
                       std::string_view if_none_match) const {
  reply r;
  const bool varies = compressible(rel);
  r.headers = {{"Cache-Control", std::string(cache_control(rel))}, {"ETag", f.etag}};
  // Caches must key a compressible file by Accept-Encoding, whichever form this one got.
  if (varies) r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("Content-Security-Policy", csp_);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  if (!if_none_match.empty() && etag_matches(if_none_match, f.etag)) {
    r.status = 304;
    return r;
  }
  r.headers.emplace_back("Content-Type", std::string(content_type(rel)));
  r.body = f.raw;
  if (f.gz && accepts_gzip(accept_encoding)) {
    r.body = f.gz;
    r.headers.emplace_back("Content-Encoding", "gzip");
  }
  r.content_length = r.body->size();
  return r;
}

reply web_root::error(int status, std::string_view code, std::string_view why) const {
  reply r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json; charset=utf-8"},
               {"Cache-Control", "no-store"},
               {"Content-Security-Policy", csp_},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "same-origin"}};
  // `why` and `code` are this file's literals: nothing to escape.
  auto body = "{\"error\":\"" + std::string(why) + "\",\"code\":\"" + std::string(code) + "\"}";
  r.content_length = body.size();
  r.body = std::make_shared<const std::string>(std::move(body));
  return r;
}

}  // namespace relay::web
