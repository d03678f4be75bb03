#include "transport/server.hpp"

#include <algorithm>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "transport/http_session.hpp"

namespace relay {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// One io_context per I/O thread, each run by exactly that thread: a connection lives on
// one shard, so its handlers never run concurrently without a strand, and a broadcast
// to many sockets is written by all shards in parallel without their sharing a
// scheduler lock.
struct io_shard {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> keep{ioc.get_executor()};
};

struct server::impl {
  impl(caf::actor_system& sys, const config& cfg, api_context ctx)
      : cfg(cfg), shards(make_shards(cfg.io_threads)), acceptor(shards.front()->ioc) {
    env.sys = &sys;
    env.cfg = &this->cfg;
    env.api = std::move(ctx);
  }

  static std::vector<std::unique_ptr<io_shard>> make_shards(std::int64_t n) {
    std::vector<std::unique_ptr<io_shard>> out;
    for (std::int64_t i = 0; i < std::max<std::int64_t>(1, n); ++i)
      out.push_back(std::make_unique<io_shard>());
    return out;
  }

  void accept() {
    // Round robin: long-lived connections spread evenly over the shards.
    auto& target = shards[next_shard++ % shards.size()]->ioc;
    acceptor.async_accept(target.get_executor(),
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
  std::vector<std::unique_ptr<io_shard>> shards;
  std::size_t next_shard = 0;
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
  // Here, not in the constructor: the public URL (the CSP's socket origin) may be set
  // between listen() and run().
  auto& env = impl_->env;
  env.web = std::make_shared<web::web_root>(impl_->cfg.web_root, env.api.public_url,
                                            impl_->cfg.avatar_hosts);
  if (env.web->built())
    spdlog::info("serving the browser client from {}", env.web->root());
  else
    spdlog::warn(
        "no browser client in {} (no index.html): / answers 503 until it is built "
        "(make web)",
        env.web->root());
  std::vector<std::thread> extra;
  auto& shards = impl_->shards;
  for (std::size_t i = 1; i < shards.size(); ++i)
    extra.emplace_back([s = shards[i].get()] { s->ioc.run(); });
  shards.front()->ioc.run();
  for (auto& t : extra) t.join();
}

void server::shutdown(std::chrono::milliseconds grace) {
  auto& first = impl_->shards.front()->ioc;
  net::post(first, [this, grace, &first] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    auto timer = std::make_shared<net::steady_timer>(first, grace);
    timer->async_wait([this, timer](auto) {
      for (auto& s : impl_->shards) s->ioc.stop();
    });
  });
}

}  // namespace relay
