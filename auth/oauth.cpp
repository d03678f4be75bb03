#include "auth/oauth.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/http_client.hpp"

namespace relay::auth {

namespace {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

bool unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string form(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += percent_encode(name);
    out += '=';
    out += percent_encode(value);
  }
  return out;
}

// A short, printable excerpt of a provider's reply for error messages.
std::string excerpt(std::string_view body) {
  constexpr std::size_t max = 200;
  std::string out;
  for (char c : body.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (body.size() > max) out += "...";
  return out;
}

std::string string_field(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return {};
  if (const auto* s = v->if_string()) return std::string(*s);
  return {};  // null, or a type we do not expect: treat as absent
}

std::chrono::milliseconds remaining(clock_type::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return std::max(left, std::chrono::milliseconds{0});
}

oauth_outcome fail(std::string message) {
  oauth_outcome out;
  out.error = std::move(message);
  return out;
}

oauth_outcome run(const oauth_config& config, const std::string& code,
                  std::chrono::milliseconds timeout) {
  if (code.empty()) return fail("missing authorization code");
  if (config.token_url.empty() || config.user_url.empty()) return fail("OAuth is not configured");
  const auto deadline = clock_type::now() + timeout;

  // -- 1. code -> access token ------------------------------------------------------
  const auto token_reply = http_fetch(
      "POST", config.token_url,
      {{"Accept", "application/json"}, {"Content-Type", "application/x-www-form-urlencoded"}},
      form({{"client_id", config.client_id},
            {"client_secret", config.client_secret},
            {"code", code},
            {"redirect_uri", config.redirect_uri}}),
      remaining(deadline));
  if (!token_reply.error.empty()) return fail("token request failed: " + token_reply.error);
  if (token_reply.status != 200) {
    return fail("token endpoint returned HTTP " + std::to_string(token_reply.status) + ": " +
                excerpt(token_reply.body));
  }
  boost::system::error_code ec;
  const auto token_json = json::parse(token_reply.body, ec);
  if (ec || !token_json.is_object()) return fail("token endpoint returned invalid JSON");
  const auto& token_obj = token_json.get_object();
  // GitHub answers a bad or reused code with 200 {"error": ..., "error_description": ...}.
  if (token_obj.contains("error")) {
    std::string message = "token exchange rejected: " + string_field(token_obj, "error");
    if (auto description = string_field(token_obj, "error_description"); !description.empty()) {
      message += " (" + excerpt(description) + ")";
    }
    return fail(std::move(message));
  }
  const std::string access_token = string_field(token_obj, "access_token");
  if (access_token.empty()) return fail("token endpoint returned no access_token");

  // -- 2. access token -> user profile -----------------------------------------------
  const auto left = remaining(deadline);
  if (left.count() == 0) {
    return fail("user request failed: timed out after " + std::to_string(timeout.count()) + " ms");
  }
  const auto user_reply = http_fetch(
      "GET", config.user_url,
      {{"Authorization", "Bearer " + access_token}, {"Accept", "application/json"}}, "", left);
  if (!user_reply.error.empty()) return fail("user request failed: " + user_reply.error);
  if (user_reply.status != 200) {
    return fail("user endpoint returned HTTP " + std::to_string(user_reply.status) + ": " +
                excerpt(user_reply.body));
  }
  const auto user_json = json::parse(user_reply.body, ec);
  if (ec || !user_json.is_object()) return fail("user endpoint returned invalid JSON");
  const auto& user_obj = user_json.get_object();

  oauth_user user;
  const auto* id = user_obj.if_contains("id");
  if (id == nullptr) return fail("user profile has no id");
  if (const auto* i = id->if_int64()) {
    user.id = *i;
  } else if (const auto* u = id->if_uint64();
             u != nullptr &&
             *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    user.id = static_cast<std::int64_t>(*u);
  } else {
    return fail("user profile id is not an integer");
  }
  user.login = string_field(user_obj, "login");
  if (user.login.empty()) return fail("user profile has no login");
  user.name = string_field(user_obj, "name");
  user.avatar_url = string_field(user_obj, "avatar_url");
  user.email = string_field(user_obj, "email");

  oauth_outcome out;
  out.user = std::move(user);
  return out;
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (unreserved(u)) {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0x0F];
    }
  }
  return out;
}

std::string authorize_redirect(const oauth_config& config, const std::string& state) {
  std::string out = config.authorize_url;
  // Parameters go before any fragment, after any existing query.
  std::string fragment;
  if (const auto hash = out.find('#'); hash != std::string::npos) {
    fragment = out.substr(hash);
    out.erase(hash);
  }
  const auto query = out.find('?');
  if (query == std::string::npos) {
    out += '?';
  } else if (out.back() != '?' && out.back() != '&') {
    out += '&';
  }
  out += form({{"client_id", config.client_id},
               {"redirect_uri", config.redirect_uri},
               {"scope", config.scope},
               {"state", state}});
  out += fragment;
  return out;
}

oauth_outcome exchange_and_fetch(const oauth_config& config, const std::string& code,
                                 std::chrono::milliseconds timeout) {
  try {
    return run(config, code, timeout);
  } catch (const std::exception& e) {
    return fail(std::string("oauth: ") + e.what());
  } catch (...) {
    return fail("oauth: unknown failure");
  }
}

}  // namespace relay::auth
