#include "auth/http_client.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <exception>
#include <memory>
#include <optional>

#include "core/url.hpp"

namespace relay::auth {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t header_limit = 64 * 1024;

struct request_spec {
  bool tls = false;
  bool host_is_name = false;  // a DNS name (SNI applies), not an IP literal
  std::string host;           // for resolving and certificate checks: no brackets
  std::string port;
  std::string host_header;
  std::string target;
  const std::string* method = nullptr;
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  const std::string* body = nullptr;
  clock_type::time_point deadline;
  std::chrono::milliseconds timeout{};
  const http_fetch_limits* limits = nullptr;                       // http_fetch_vetted only
  const std::function<bool(std::string_view)>* on_body = nullptr;  // http_stream
};

// A streamed body may be far larger than a kept one; it is still bounded.
constexpr std::uint64_t stream_max_body = 64ull << 20;

// Fills `spec` from the URL; returns an error message or "".
std::string parse_target(const std::string& url, request_spec& spec) {
  auto parsed = parse_absolute_url(url);
  if (!parsed) return "invalid URL: " + parsed.error().message();
  const auto& u = *parsed;
  if (u.scheme_id() == boost::urls::scheme::https) {
    spec.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    return "unsupported URL scheme: " + std::string(u.scheme());
  }
  if (!u.has_authority() || u.encoded_host().empty()) return "URL has no host";
  spec.host = u.host_address();
  spec.host_is_name = u.host_type() == boost::urls::host_type::name;
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return "invalid port in URL";
    spec.port = std::string(u.port());
  } else {
    spec.port = spec.tls ? "443" : "80";
  }
  spec.host_header = std::string(u.encoded_host());
  if (u.has_port()) spec.host_header += ":" + spec.port;
  spec.target = std::string(u.encoded_target());
  if (spec.target.empty() || spec.target.front() != '/') spec.target.insert(0, "/");
  return {};
}

std::string describe(const char* phase, const beast::error_code& ec, const request_spec& spec) {
  if (ec == beast::error::timeout) {
    return std::string(phase) + ": timed out after " + std::to_string(spec.timeout.count()) + " ms";
  }
  return std::string(phase) + ": " + ec.message();
}

// Writes the request and reads the response over an established (and, for TLS,
// handshaken) stream whose expiry is already set.
template <class Stream>
asio::awaitable<void> exchange(Stream& stream, const request_spec& spec, http_result& out) {
  http::request<http::string_body> req;
  const auto verb = http::string_to_verb(*spec.method);
  if (verb == http::verb::unknown) {
    req.method_string(*spec.method);
  } else {
    req.method(verb);
  }
  req.target(spec.target);
  req.version(11);
  req.set(http::field::host, spec.host_header);
  req.set(http::field::user_agent, "relay");
  for (const auto& [name, value] : *spec.headers) req.set(name, value);
  req.body() = *spec.body;
  req.prepare_payload();

  auto [wec, written] = co_await http::async_write(stream, req, use_tuple);
  (void)written;
  if (wec) {
    out.error = describe("write", wec, spec);
    co_return;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(spec.limits ? spec.limits->max_body : http_max_body);
  if (verb == http::verb::head) parser.skip(true);
  beast::error_code rec;
  if (spec.on_body) {
    auto [hec, hread] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    (void)hread;
    rec = hec;
    auto status = parser.get().result_int();
    if (!rec && status >= 200 && status < 300) {
      parser.body_limit(stream_max_body);
      // The string body is emptied after each read, so it only ever holds one fragment.
      while (!rec && !parser.is_done()) {
        auto [sec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
        (void)n;
        rec = sec;
        auto& fragment = parser.get().body();
        if (!fragment.empty() && !(*spec.on_body)(fragment)) {
          out.error = "stopped by the caller";
          co_return;
        }
        fragment.clear();
      }
    } else if (!rec) {
      auto [bec, bread] = co_await http::async_read(stream, buffer, parser, use_tuple);
      (void)bread;
      rec = bec;
    }
  } else {
    auto [fec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
    (void)read;
    rec = fec;
  }
  if (rec == ssl::error::stream_truncated && parser.is_header_done() && !parser.is_done()) {
    // A TLS peer that closes without close_notify to end an until-close body.
    beast::error_code eof_ec;
    parser.put_eof(eof_ec);
    rec = eof_ec;
  }
  if (rec == http::error::body_limit && spec.limits && parser.is_header_done()) {
    // A capped read: the status is what the caller needs, the rest of the body is not.
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    co_return;
  }
  if (rec) {
    if (rec == http::error::body_limit) {
      out.error = "read: response body exceeds " + std::to_string(http_max_body) + " bytes";
    } else {
      out.error = describe("read", rec, spec);
    }
    co_return;
  }
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
}

asio::awaitable<void> fetch(const request_spec& spec, http_result& out) {
  auto executor = co_await asio::this_coro::executor;

  // The resolver does not honour the stream's expiry, so a timer cancels it. The state is
  // shared with the timer's handler, which may still be queued after this frame is gone.
  struct resolve_state {
    explicit resolve_state(const asio::any_io_executor& ex) : resolver(ex) {}
    tcp::resolver resolver;
    bool timed_out = false;
  };
  auto state = std::make_shared<resolve_state>(executor);
  asio::steady_timer timer(executor);
  timer.expires_at(spec.deadline);
  timer.async_wait([state](const beast::error_code& ec) {
    if (ec) return;  // cancelled: the lookup finished first
    state->timed_out = true;
    state->resolver.cancel();
  });
  auto [rec, endpoints] = co_await state->resolver.async_resolve(spec.host, spec.port, use_tuple);
  timer.cancel();
  if (state->timed_out) {
    out.error = "resolve: timed out after " + std::to_string(spec.timeout.count()) + " ms";
    co_return;
  }
  if (rec) {
    out.error = "resolve: " + rec.message();
    co_return;
  }
  if (spec.limits && spec.limits->vet) {
    for (const auto& e : endpoints) {
      auto why = spec.limits->vet(spec.host, e.endpoint().address().to_string());
      if (!why.empty()) {
        out.error = "refused: " + why;
        co_return;
      }
    }
  }

  if (!spec.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_at(spec.deadline);
    auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
    (void)ep;
    if (cec) {
      out.error = describe("connect", cec, spec);
      co_return;
    }
    co_await exchange(stream, spec, out);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }

  ssl::context ctx(ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(executor, ctx);
  stream.set_verify_callback(ssl::host_name_verification(spec.host));
  if (spec.host_is_name && !SSL_set_tlsext_host_name(stream.native_handle(), spec.host.c_str())) {
    out.error = "tls: cannot set SNI host name";
    co_return;
  }
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_at(spec.deadline);
  auto [cec, ep] = co_await lowest.async_connect(endpoints, use_tuple);
  (void)ep;
  if (cec) {
    out.error = describe("connect", cec, spec);
    co_return;
  }
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (hec) {
    out.error = describe("tls handshake", hec, spec);
    co_return;
  }
  co_await exchange(stream, spec, out);
  // No TLS close_notify exchange: the response is complete, and some servers never answer
  // it, which would stall us until the deadline. Closing the socket is enough here.
  beast::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

namespace {

// Callers run on threads of their own (detached actors) that may still be ending when
// the process exits; this thread's OpenSSL state (its error queue, 904 bytes) is freed
// on the way out of every call, not by the thread's exit, so none is left behind.
struct release_thread_state {
  ~release_thread_state() { OPENSSL_thread_stop(); }
};

// Fills `spec` from a call's arguments (which must outlive it); returns an error or "".
std::string prepare(request_spec& spec, const std::string& method, const std::string& url,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    const std::string& body, std::chrono::milliseconds timeout,
                    clock_type::time_point deadline) {
  if (auto err = parse_target(url, spec); !err.empty()) return err;
  const auto has_crlf = [](const std::string& s) {
    return s.find_first_of("\r\n") != std::string::npos;
  };
  if (method.empty() || has_crlf(method) || method.find(' ') != std::string::npos)
    return "invalid HTTP method";
  for (const auto& [name, value] : headers) {
    if (name.empty() || has_crlf(name) || has_crlf(value)) return "invalid request header: " + name;
  }
  spec.method = &method;
  spec.headers = &headers;
  spec.body = &body;
  spec.timeout = timeout;
  spec.deadline = deadline;
  return {};
}

// The answer of a request whose coroutine ended with `failure`: an error never carries a
// status or a body.
void settle(http_result& result, const std::exception_ptr& failure) {
  if (failure) {
    result = http_result{.elapsed_ms = result.elapsed_ms};
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      result.error = std::string("http client: ") + e.what();
    } catch (...) {
      result.error = "http client: unknown failure";
    }
  }
  if (!result.error.empty()) {
    result.status = 0;
    result.body.clear();
  }
}

http_result fetch_with(const std::string& method, const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, std::chrono::milliseconds timeout,
                       const http_fetch_limits* limits,
                       const std::function<bool(std::string_view)>* on_body) {
  release_thread_state release;
  http_result result;
  std::exception_ptr failure;
  try {
    request_spec spec;
    result.error = prepare(spec, method, url, headers, body, timeout, clock_type::now() + timeout);
    if (result.error.empty()) {
      spec.limits = limits;
      spec.on_body = on_body;
      asio::io_context ioc(1);
      asio::co_spawn(ioc, fetch(spec, result), [&failure](std::exception_ptr e) { failure = e; });
      ioc.run();
    }
  } catch (...) {
    failure = std::current_exception();
  }
  settle(result, failure);
  return result;
}

}  // namespace

std::vector<http_result> http_fetch_all_vetted(const std::vector<http_request>& requests,
                                               std::chrono::milliseconds timeout,
                                               const http_fetch_limits& limits) {
  release_thread_state release;
  std::vector<http_result> results(requests.size());
  std::vector<std::exception_ptr> failures(requests.size());
  try {
    const auto started = clock_type::now();
    const auto deadline = started + timeout;
    std::vector<request_spec> specs(requests.size());
    asio::io_context ioc(1);
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& r = requests[i];
      results[i].error = prepare(specs[i], r.method, r.url, r.headers, r.body, timeout, deadline);
      if (!results[i].error.empty()) continue;
      specs[i].limits = &limits;
      asio::co_spawn(
          ioc, fetch(specs[i], results[i]),
          [&failures, &results, i, started](std::exception_ptr e) {
            failures[i] = e;
            results[i].elapsed_ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started)
                    .count();
          });
    }
    ioc.run();
  } catch (...) {
    // Only the setup can throw here (a coroutine's failure goes to its handler): every
    // request not yet answered shares it.
    for (std::size_t i = 0; i < requests.size(); ++i)
      if (results[i].error.empty() && !results[i].status && !failures[i])
        failures[i] = std::current_exception();
  }
  for (std::size_t i = 0; i < requests.size(); ++i) settle(results[i], failures[i]);
  return results;
}

namespace {

// One http_fetch_async_vetted request: everything its coroutine reads lives here, and the
// coroutine's frame holds this (its parameter), so nothing it points at can go first.
struct async_fetch final : http_pending {
  http_request request;
  http_fetch_limits limits;
  request_spec spec;
  http_result result;
  std::function<void(http_result)> done;
  asio::cancellation_signal signal;
  clock_type::time_point started;
  bool finished = false;

  void cancel() override {
    // Terminal: the operation in progress (connect, write or read) ends with an error and
    // the coroutine returns; its answer still goes to `done`.
    if (!finished) signal.emit(asio::cancellation_type::terminal);
  }

  void finish(const std::exception_ptr& failure) {
    finished = true;
    result.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started).count();
    settle(result, failure);
    if (!failure && result.error.empty() && result.status == 0)
      result.error = "http client: cancelled";
    auto fn = std::move(done);
    fn(std::move(result));
  }
};

asio::awaitable<void> fetch_owned(std::shared_ptr<async_fetch> f) {
  co_await fetch(f->spec, f->result);
}

}  // namespace

std::shared_ptr<http_pending> http_fetch_async_vetted(asio::io_context& ioc, http_request request,
                                                      std::chrono::milliseconds timeout,
                                                      http_fetch_limits limits,
                                                      std::function<void(http_result)> done) {
  auto f = std::make_shared<async_fetch>();
  f->request = std::move(request);
  f->limits = std::move(limits);
  f->done = std::move(done);
  f->started = clock_type::now();
  const auto& r = f->request;
  f->result.error =
      prepare(f->spec, r.method, r.url, r.headers, r.body, timeout, f->started + timeout);
  if (!f->result.error.empty()) {
    // Answered through the io_context like every other request, never inside this call.
    asio::post(ioc, [f] { f->finish(nullptr); });
    return f;
  }
  f->spec.limits = &f->limits;
  asio::co_spawn(
      ioc, fetch_owned(f),
      asio::bind_cancellation_slot(f->signal.slot(), [f](std::exception_ptr e) { f->finish(e); }));
  return f;
}

http_result http_fetch(const std::string& method, const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, std::chrono::milliseconds timeout) {
  return fetch_with(method, url, headers, body, timeout, nullptr, nullptr);
}

http_result http_stream(const std::string& method, const std::string& url,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body, std::chrono::milliseconds timeout,
                        const std::function<bool(std::string_view)>& on_body) {
  return fetch_with(method, url, headers, body, timeout, nullptr, on_body ? &on_body : nullptr);
}

http_result http_fetch_vetted(const std::string& method, const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body, std::chrono::milliseconds timeout,
                              const http_fetch_limits& limits) {
  return fetch_with(method, url, headers, body, timeout, &limits, nullptr);
}

}  // namespace relay::auth
