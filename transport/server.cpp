#include "transport/server.hpp"

#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "transport/http_session.hpp"

namespace relay {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct server::impl {
  impl(caf::actor_system& sys, const config& cfg, api_context ctx) : cfg(cfg), acceptor(ioc) {
    env.sys = &sys;
    env.cfg = &this->cfg;
    env.api = std::move(ctx);
  }

  void accept() {
    // Each connection gets its own strand so its handlers never run concurrently.
    acceptor.async_accept(net::make_strand(ioc),
                          [this](boost::system::error_code ec, tcp::socket s) {
                            if (ec == net::error::operation_aborted) return;
                            if (!ec) {
                              s.set_option(tcp::no_delay(true), ec);
                              start_http_session(std::move(s), env);
                            } else if (ec == net::error::no_descriptors) {
                              spdlog::warn("accept: out of file descriptors");
                            }
                            accept();
                          });
  }

  config cfg;
  net::io_context ioc;
  tcp::acceptor acceptor;
  session_env env;
};

api_context& server::api() {
  return impl_->env.api;
}

server::server(caf::actor_system& sys, const config& cfg, api_context ctx)
    : impl_(std::make_unique<impl>(sys, cfg, std::move(ctx))) {}

server::~server() = default;

std::uint16_t server::listen(const std::string& host, std::uint16_t port) {
  auto addr = net::ip::make_address(host);
  tcp::endpoint ep{addr, port};
  auto& a = impl_->acceptor;
  a.open(ep.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(net::socket_base::max_listen_connections);
  impl_->accept();
  return a.local_endpoint().port();
}

void server::run() {
  std::vector<std::thread> extra;
  for (std::int64_t i = 1; i < impl_->cfg.io_threads; ++i)
    extra.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : extra) t.join();
}

void server::shutdown(std::chrono::milliseconds grace) {
  net::post(impl_->ioc, [this, grace] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    auto timer = std::make_shared<net::steady_timer>(impl_->ioc, grace);
    timer->async_wait([this, timer](auto) { impl_->ioc.stop(); });
  });
}

}  // namespace relay
