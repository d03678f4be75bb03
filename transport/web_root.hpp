#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relay::web {

/// One answer of the browser client's files, ready for the HTTP session to write.
struct reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  ///< Content-Type included
  std::shared_ptr<const std::string> body;                   ///< null: none (HEAD, 304)
  std::size_t content_length = 0;  ///< of the body a GET gets, also for HEAD
};

/// Serves the built client (`web_root`, web/dist) to every GET and HEAD outside the
/// API: the file a path names, index.html for any other path, 404 for a missing
/// `/assets/…` file (static_files.hpp decides each). Thread-safe; one per process.
///
/// Files are read on the I/O thread that asks, once per version (size and mtime), and
/// kept with their gzip in memory, bounded: the client is a few small files, so after
/// the first request a file costs a few stat calls, and a rebuild while Relay runs is
/// picked up without a restart.
class web_root {
 public:
  /// `root` need not exist yet: until it holds index.html, the client's paths answer 503
  /// saying the client is not built. `public_url` names Relay's socket origin in the CSP,
  /// `avatar_hosts` the image origins it allows besides Relay's own.
  web_root(std::string root, std::string_view public_url, std::string_view avatar_hosts);

  /// Whether `encoded_path` (as sent, without the query) is the client's, not the API's.
  static bool serves(std::string_view encoded_path);

  /// The answer to GET (or HEAD) `encoded_path`.
  reply serve(std::string_view encoded_path, bool head, std::string_view accept_encoding,
              std::string_view if_none_match);

  /// The root as configured, and whether it holds a built client (for the start-up log).
  const std::string& root() const { return root_; }
  bool built() const;

 private:
  struct file {
    std::uint64_t size = 0;
    std::filesystem::file_time_type mtime;
    std::shared_ptr<const std::string> raw;
    std::shared_ptr<const std::string> gz;  ///< null: not worth compressing
    std::string etag;
  };

  enum class lookup { found, missing, outside, too_large, unreadable };

  /// Finds `rel` under the root's real path: `outside` when it (or a symlink on the
  /// way) resolves out of the root.
  lookup find(const std::string& rel, std::shared_ptr<const file>& out);
  std::shared_ptr<const file> load(const std::filesystem::path& real, std::uint64_t size,
                                   std::filesystem::file_time_type mtime, std::string_view rel);
  reply get(std::string_view encoded_path, std::string_view accept_encoding,
            std::string_view if_none_match);
  reply answer(const file& f, std::string_view rel, std::string_view accept_encoding,
               std::string_view if_none_match) const;
  reply error(int status, std::string_view code, std::string_view why) const;

  std::string root_;
  std::string csp_;
  std::mutex mutex_;  // guards the two below
  std::map<std::string, std::shared_ptr<const file>> cache_;
  std::size_t cached_bytes_ = 0;
};

}  // namespace relay::web
