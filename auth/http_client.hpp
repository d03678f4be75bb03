#pragma once

// A small HTTP/1.1 client for server-to-server calls (OAuth token exchange, user lookup,
// outbound webhooks). The blocking calls run their own io_context on the calling thread,
// so they belong in detached actors or other threads that may block; never call them from
// an I/O thread. http_fetch_async_vetted runs on an io_context the caller owns.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace relay::auth {

struct http_result {
  int status = 0;               // HTTP status code; 0 when `error` is set
  std::string body;             // response body (at most 1 MiB); empty when `error` is set
  std::string error;            // "" on success, else a human-readable reason
  std::int64_t elapsed_ms = 0;  // http_fetch_all_vetted: how long this request took
};

/// Largest response body http_fetch accepts; larger bodies fail with an error.
inline constexpr std::size_t http_max_body = 1 << 20;

/// Performs one request to an `http://` or `https://` URL and reads the whole response.
/// HTTPS verifies the peer against the system trust store and the URL's host name.
/// Sets `Host` and `User-Agent: relay`; `headers` are applied afterwards and may override
/// them. `timeout` bounds connect, TLS handshake, write and read together (DNS lookup is
/// bounded too, except that a getaddrinfo call already in progress cannot be interrupted).
/// Redirects are not followed. Never throws: every failure is reported in `error`.
http_result http_fetch(const std::string& method, const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, std::chrono::milliseconds timeout);

/// What http_fetch_vetted does beyond http_fetch.
struct http_fetch_limits {
  /// The response body is read up to this many bytes; a longer one is cut there (the
  /// status still counts), not an error.
  std::size_t max_body = http_max_body;
  /// Called with the URL's host and each address it resolved to: a non-empty answer (the
  /// reason) refuses the request before connecting. The connection then goes to the
  /// addresses checked, never to a second lookup's.
  std::function<std::string(const std::string& host, const std::string& ip)> vet;
};

/// http_fetch with `limits` (outbound webhooks: SSRF checks after DNS, a small body cap).
http_result http_fetch_vetted(const std::string& method, const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, std::chrono::milliseconds timeout,
                              const http_fetch_limits& limits);
/// One request of http_fetch_all_vetted.
struct http_request {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// http_fetch_vetted for several requests at once, all in flight together on the calling
/// thread (a connection each), so a batch takes about as long as its slowest request
/// rather than the sum (outbound webhooks). Each is bounded by `timeout` from the call.
/// Answers in the order of `requests`.
std::vector<http_result> http_fetch_all_vetted(const std::vector<http_request>& requests,
                                               std::chrono::milliseconds timeout,
                                               const http_fetch_limits& limits);

/// A request started by http_fetch_async_vetted; `cancel()` (on the io_context's thread)
/// ends it at once with an error, so its owner can stop without waiting for a silent peer.
class http_pending {
 public:
  virtual ~http_pending() = default;
  virtual void cancel() = 0;
};

/// http_fetch_vetted without blocking: the request runs on `ioc` (whose thread calls
/// `done` exactly once with the answer, `elapsed_ms` from this call) while the caller
/// goes on (outbound webhooks keep a pool of them in flight). `limits` are copied. Call it
/// on `ioc`'s thread, or before it runs. The answer still comes (an error) when the
/// request is cancelled; not when `ioc` is stopped and destroyed with it still running.
std::shared_ptr<http_pending> http_fetch_async_vetted(boost::asio::io_context& ioc,
                                                      http_request request,
                                                      std::chrono::milliseconds timeout,
                                                      http_fetch_limits limits,
                                                      std::function<void(http_result)> done);

/// As http_fetch, for long streamed answers (the AI bot's chat-completions streams): a 2xx
/// body goes to `on_body` as it arrives, in fragments of any size (chunked coding already
/// removed), and is not kept; any other status's body is kept in `body` as http_fetch
/// keeps it. `on_body` returning false stops reading (the caller gave up). `timeout` bounds
/// the whole exchange, so it is the longest answer allowed.
http_result http_stream(const std::string& method, const std::string& url,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body, std::chrono::milliseconds timeout,
                        const std::function<bool(std::string_view)>& on_body);

}  // namespace relay::auth
