// relay: the server, and the operator commands that work on its data directory.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/all.hpp>

#include "actors/agents/hub.hpp"
#include "actors/archiver.hpp"
#include "actors/chat/directory.hpp"
#include "actors/cluster/bridge.hpp"
#include "actors/halls/directory.hpp"
#include "actors/session_registry.hpp"
#include "actors/store_reader.hpp"
#include "actors/store_writer.hpp"
#include "actors/webhook_dispatcher.hpp"
#include "api/relay_bot.hpp"
#include "api/request.hpp"
#include "app/access_setup.hpp"
#include "app/data_dir_lock.hpp"
#include "app/memory_return.hpp"
#include "app/operator.hpp"
#include "app/redis_thread.hpp"
#include "config/options.hpp"
#include "core/ids.hpp"
#include "redis/url.hpp"
#include "storage/postgres/archive.hpp"
#include "storage/postgres/store.hpp"
#include "storage/sqlite_store.hpp"
#include "transport/server.hpp"

namespace {

int serve(const relay::config& cfg, const std::string& self_path) {
  using namespace relay;
  // The option table checks only the scheme; the client's parser has the last word.
  std::optional<redis::endpoint> redis_at;
  if (!cfg.redis_url.empty()) {
    auto parsed = redis::parse_url(cfg.redis_url);
    if (!parsed) {
      std::cerr << "relay: redis_url: " << parsed.error << "\n";
      return 2;
    }
    redis_at = parsed.ep;
  }
  std::string allow_error;
  auto webhook_allow = auth::parse_webhook_allowlist(cfg.webhook_allowed_hosts, allow_error);
  if (!webhook_allow) {
    std::cerr << "relay: webhook_allowed_hosts: " << allow_error << "\n";
    return 2;
  }
  // Before anything touches the store: a second server must not even migrate it.
  data_dir_lock lock{cfg.data_dir};
  if (!lock.ok()) {
    std::cerr << "relay: " << lock.error() << "\n";
    return 1;
  }
  // Cluster mode: Postgres is the store of record and Redis carries room events between
  // nodes; SQLite is not used. Otherwise SQLite, with Postgres as the archive if given.
  const bool cluster = redis_at && !cfg.postgres_url.empty();
  auto path = storage::sqlite_store::db_path(cfg.data_dir);
  store_factory open = [path, sync = cfg.sqlite_synchronous] {
    return std::make_unique<storage::sqlite_store>(path, false, sync);
  };
  if (cluster)
    open = [url = cfg.postgres_url] {
      return std::make_unique<storage::postgres::postgres_store>(url);
    };
  // Open once up front (migrating) so a bad data directory or Postgres URL fails start-up
  // with a clear message. In cluster mode the store of record must answer to start: a
  // node that cannot reach it has nothing to serve.
  try {
    open();
  } catch (const std::exception& e) {
    std::cerr << "relay: cannot open the store "
              << (cluster ? "(postgres_url)" : "in " + cfg.data_dir) << ": " << e.what() << "\n";
    return 1;
  }
  if (!cluster) {
    if (auto e = apply_search_index_option(cfg); !e.empty()) {
      std::cerr << "relay: " << e << "\n";
      return 1;
    }
  } else if (cfg.search_index == "off") {
    std::cerr << "relay: --search-index off is for a single node (a cluster searches Postgres)\n";
    return 2;
  }
  archive_factory open_archive;
  if (!cluster && !cfg.postgres_url.empty()) {
    open_archive = [url = cfg.postgres_url] {
      return std::make_unique<storage::postgres::archive>(url);
    };
    // Migrates now, so a wrong URL shows at start; Postgres being down only delays the
    // archive (messages stay in SQLite until it is back), it does not stop the node.
    if (auto opened = open_archive()->open(); !opened)
      spdlog::warn("archive: {}; messages stay in SQLite until Postgres answers",
                   opened.error().message);
  }
  caf::actor_system_config ccfg;
  if (cfg.actor_threads > 0)
    ccfg.set("scheduler.max-threads", static_cast<std::size_t>(cfg.actor_threads));
  // CAF's idle workers poll their queues in a 50 µs sleep loop for 25 ms before they
  // wait on a condition variable. On a small box that is tens of thousands of wake-ups a
  // second per idle worker (a quarter of a core in the agent benchmark's profile);
  // skipping it costs a futex wake when work arrives, which is microseconds.
  ccfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  caf::actor_system sys{ccfg};
  // Before the API context: every copy of the client must be gone when it stops.
  redis_thread redis{redis_at};

  auto writer = spawn_store_writer(sys, open);
  // In cluster mode each reader holds a Postgres connection: their number is the pool's.
  auto readers = spawn_store_readers(
      sys, open, static_cast<std::size_t>(cluster ? cfg.postgres_pool : cfg.reader_threads),
      open_archive);
  archiver_actor archiver;
  if (open_archive) {
    archiver_params ap{open, open_archive, writer};
    ap.after = std::chrono::seconds(cfg.archive_after_seconds);
    ap.every = std::min<std::chrono::milliseconds>(std::chrono::minutes(1), ap.after);
    archiver = spawn_archiver(sys, std::move(ap));
  }
  agents::event_limits limits;
  limits.deadline_ms = cfg.agent_timeout_seconds * 1000;
  limits.idle_ms = cfg.agent_idle_seconds * 1000;
  limits.replay_ms = cfg.agent_replay_seconds * 1000;
  limits.grace_ms = cfg.agent_resume_grace_seconds * 1000;
  // Cluster mode: caps count every node's connections (Redis); the node id names this
  // node there and on the room events it publishes.
  const auto node_id = make_id("node");
  shared_counts counts;
  if (cluster) counts = {redis.client(), node_id};
  auto registry = spawn_session_registry(
      sys, static_cast<std::size_t>(cfg.max_connections_per_user), std::move(counts));
  cluster::link_ptr link;
  if (cluster) {
    link = cluster::start_bridge(sys, redis.executor(), *redis_at, node_id, registry);
    spdlog::info("cluster mode: node {}, store of record on Postgres, room events on Redis",
                 link->node_id());
  }
  auto hub = spawn_agent_hub(sys, {readers, limits, link});
  auto directory =
      spawn_directory(sys, {writer, readers, static_cast<int>(cfg.ring_messages),
                            static_cast<int>(cfg.sync_messages), cfg.resume_cache_bytes, hub,
                            archiver, link, std::chrono::seconds(cfg.presence_ttl_seconds),
                            registry, static_cast<std::size_t>(cfg.max_content_chars)});

  auto halls = spawn_hall_directory(sys, {writer, readers, cluster});
  webhook_dispatch_params hooks{writer,  registry, {}, *webhook_allow, cfg.webhook_retry_scale,
                                !cluster};
  if (link)
    hooks.notify_other_nodes = [link](const std::string& user, const std::string& frame) {
      link->notify(user, frame);
    };
  auto webhooks = spawn_webhook_dispatcher(sys, std::move(hooks));
  api_context ctx;
  ctx.webhook_allow = std::make_shared<const auth::webhook_allowlist>(*webhook_allow);
  ctx.directory = directory;
  ctx.writer = writer;
  ctx.readers = readers;
  ctx.registry = registry;
  ctx.agent_hub = hub;
  ctx.halls = halls;
  ctx.sse_cursors = std::make_shared<stream_cursors>();
  ctx.livekit = {cfg.livekit_api_key, cfg.livekit_api_secret};
  ctx.livekit_url = cfg.livekit_url;
  ctx.hall_token_ttl_seconds = cfg.hall_token_ttl_seconds;
  ctx.max_content_chars = static_cast<std::size_t>(cfg.max_content_chars);
  ctx.presence_ttl_seconds = cfg.presence_ttl_seconds;
  ctx.attachment_max_bytes = cfg.attachment_max_bytes;
  ctx.redis = redis.client();
  ctx.cluster = link;
  ctx.search_indexed = cluster || cfg.search_index != "off";
  // The handles have different interfaces (typed or not); an exit message suits each.
  auto stop_actors = [&] {
    auto stop = [](const auto&... a) {
      (caf::anon_send_exit(a, caf::exit_reason::user_shutdown), ...);
    };
    stop(directory, hub, halls, readers, writer, registry, webhooks);
    if (archiver) stop(archiver);
    if (link) link->stop();
  };
  server srv{sys, cfg, ctx};
  std::uint16_t port = 0;
  try {
    port = srv.listen(cfg.listen_host, cfg.listen_port);
  } catch (const std::exception& e) {
    std::cerr << "relay: cannot listen on " << cfg.listen_host << ":" << cfg.listen_port << ": "
              << e.what() << "\n";
    stop_actors();
    return 1;
  }
  if (auto e = configure_access(srv.api(), cfg, port); !e.empty()) {
    std::cerr << "relay: " << e << "\n";
    stop_actors();
    return 1;
  }
  // The built-in AI bot runs tools through the API as configured just above; it stops
  // with the hub.
  if (!cfg.ai_url.empty()) spawn_relay_bot(sys, srv.api(), {cfg.ai_url, cfg.ai_model, cfg.ai_key});
  std::cout << "relay: listening on http://" << cfg.listen_host << ":" << port << std::endl;
  if (srv.api().dev_login)
    std::cout << "relay: dev sign-in: open http://" << cfg.listen_host << ":" << port
              << "/auth/dev?login=alice" << std::endl;
  // Operator commands act where the node's store is: in cluster mode the shared store,
  // which they reach only given the same two options (not printed: a URL may hold a
  // password).
  const std::string where = cluster ? " --redis-url URL --postgres-url URL (the nodes' own)"
                                    : " --data-dir " + cfg.data_dir;
  std::cout << "relay: "
            << (cluster ? std::string{"store of record on Postgres"} : "data in " + cfg.data_dir)
            << "; create a user and a token with:\n"
            << "  " << self_path << where << " user add alice\n"
            << "  " << self_path << where << " token create alice" << std::endl;

  // SIGINT/SIGTERM stop the I/O loop; actors are shut down in order below.
  boost::asio::io_context sig_ioc;
  boost::asio::signal_set signals{sig_ioc, SIGINT, SIGTERM};
  signals.async_wait([&](auto, int) {
    caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(hub, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(halls, caf::exit_reason::user_shutdown);
    srv.shutdown(std::chrono::milliseconds(1000));
  });
  watch_memory_return(sig_ioc);
  std::thread sig_thread{[&] { sig_ioc.run(); }};
  srv.run();
  sig_ioc.stop();
  sig_thread.join();
  spdlog::info("shutting down");
  if (archiver) caf::anon_send_exit(archiver, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(webhooks, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(readers, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  if (link) link->stop();
  // Sessions still referenced by actors own sockets of the server's io_context:
  // every actor must be gone before the server is destroyed.
  sys.await_all_actors_done();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto loaded = relay::load_config(argc, argv);
  if (!loaded.cfg) {
    std::cerr << "relay: " << loaded.error << "\n";
    return 2;
  }
  if (loaded.cmd.help) {
    std::cout << loaded.cmd.usage;  // relay's, or the command's (`relay user add --help`)
    return 0;
  }
  if (loaded.cmd.version) {
    std::cout << "relay 0.1.0\n";
    return 0;
  }
  auto& cfg = *loaded.cfg;
  // Logs go to stderr; stdout carries only what scripts read (URL, tokens).
  spdlog::set_default_logger(spdlog::stderr_color_mt("relay"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  if (!loaded.cmd.words.empty()) return relay::run_operator_command(cfg, loaded.cmd);
  std::signal(SIGPIPE, SIG_IGN);
  return serve(cfg, argv[0]);
}
