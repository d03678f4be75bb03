#include "app/access_setup.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "core/ids.hpp"
#include "redis/shared_limit.hpp"

namespace relay {

namespace {

// The cookie key lives in the data directory so sessions survive restarts; it is
// created once, readable by the owner only.
std::string load_or_create_secret(const std::string& data_dir, std::string& error) {
  auto path = std::filesystem::path(data_dir) / "secret";
  if (std::ifstream in{path}; in) {
    std::string s;
    std::getline(in, s);
    if (s.size() >= 32) return s;
    error = path.string() + " holds no usable key (expected at least 32 characters)";
    return {};
  }
  auto s = random_hex(32);
  auto tmp = path.string() + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    out << s << "\n";
    if (!out) {
      error = "cannot write " + tmp;
      return {};
    }
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    error = "cannot create " + path.string() + ": " + ec.message();
    return {};
  }
  return s;
}

std::string origin_of(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  auto slash = url.find('/', scheme + 3);
  return url.substr(0, slash);
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

std::string configure_access(api_context& ctx, const config& cfg, std::uint16_t port) {
  std::string error;
  ctx.secret = cfg.secret.empty() ? load_or_create_secret(cfg.data_dir, error) : cfg.secret;
  if (!error.empty()) return error;
  ctx.public_url = cfg.public_url;
  ctx.public_url_configured = !cfg.public_url.empty();
  if (ctx.public_url.empty())
    ctx.public_url = "http://" + cfg.listen_host + ":" + std::to_string(port);
  while (!ctx.public_url.empty() && ctx.public_url.back() == '/') ctx.public_url.pop_back();
  ctx.secure_cookies = ctx.public_url.rfind("https://", 0) == 0;

  ctx.allowed_origins.clear();
  std::stringstream list{cfg.allowed_origins};
  for (std::string o; std::getline(list, o, ',');) {
    while (!o.empty() && o.front() == ' ') o.erase(0, 1);
    while (!o.empty() && (o.back() == ' ' || o.back() == '/')) o.pop_back();
    if (!o.empty()) ctx.allowed_origins.push_back(o);
  }
  if (ctx.allowed_origins.empty()) {
    ctx.allowed_origins.push_back(origin_of(ctx.public_url));
    // The same local server is reached by either name.
    if (cfg.public_url.empty() && is_loopback_host(cfg.listen_host))
      ctx.allowed_origins.push_back("http://localhost:" + std::to_string(port));
  }

  if (!cfg.oauth_client_id.empty())
    ctx.oauth = auth::oauth_config{cfg.oauth_authorize_url, cfg.oauth_token_url,
                                   cfg.oauth_user_url,      cfg.oauth_client_id,
                                   cfg.oauth_client_secret, ctx.public_url + "/auth/callback"};

  ctx.dev_login = cfg.dev_login == "on" && is_loopback_host(cfg.listen_host);
  if (cfg.dev_login == "on" && !ctx.dev_login)
    spdlog::warn("dev_login is on but Relay listens on {}: dev sign-in stays off beyond loopback",
                 cfg.listen_host);

  ctx.user_sends = std::make_shared<keyed_limiter>(static_cast<double>(cfg.user_send_rate),
                                                   static_cast<double>(cfg.user_send_burst));
  // Incoming webhooks: a burst of 20 (a CI run's jobs finishing together), then one a
  // second, per hook.
  ctx.hook_posts = std::make_shared<keyed_limiter>(1.0, 20.0);
  ctx.max_connections_per_user = cfg.max_connections_per_user;
  {
    // Up to four pages in flight at once, more when the rate is high.
    auto rate = static_cast<double>(cfg.resume_rate_bytes);
    auto burst = std::max(4.0 * static_cast<double>(cfg.resume_page_bytes), rate / 16);
    ctx.resume_budget = std::make_shared<byte_budget>(rate, burst);
  }

  ctx.admins.clear();
  std::stringstream admins{cfg.admins};
  for (std::string a; std::getline(admins, a, ',');) {
    while (!a.empty() && a.front() == ' ') a.erase(0, 1);
    while (!a.empty() && a.back() == ' ') a.pop_back();
    if (!a.empty()) ctx.admins.push_back(a);
  }
  ctx.app_events = std::make_shared<keyed_limiter>(static_cast<double>(cfg.app_event_rate),
                                                   static_cast<double>(cfg.app_event_burst));
  // Cluster mode (Redis and Postgres both set): a user or app connected to several
  // nodes gets one allowance, not one per node.
  if (ctx.redis && !cfg.postgres_url.empty()) {
    redis::share_limit(ctx.user_sends, ctx.redis, "relay:rate:sends:", "user send limit");
    redis::share_limit(ctx.app_events, ctx.redis, "relay:rate:events:", "app event limit");
    redis::share_limit(ctx.hook_posts, ctx.redis, "relay:rate:hooks:", "incoming webhook limit");
  }
  return {};
}

}  // namespace relay
