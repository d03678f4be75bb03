#pragma once

// GitHub-style OAuth 2.0 web flow (authorization code grant), server side:
//   1. redirect the browser to authorize_redirect(config, state);
//   2. the provider redirects back to redirect_uri with ?code=...&state=...;
//   3. exchange_and_fetch(config, code, timeout) trades the code for an access token and
//      reads the signed-in user's profile.
// Step 3 blocks (see http_fetch): run it from a detached actor.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::auth {

struct oauth_config {
  std::string authorize_url;  // e.g. https://github.com/login/oauth/authorize
  std::string token_url;      // e.g. https://github.com/login/oauth/access_token
  std::string user_url;       // e.g. https://api.github.com/user
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri;  // our callback, registered with the provider
  std::string scope = "read:user user:email";
};

/// `authorize_url?client_id=...&redirect_uri=...&scope=...&state=...`, every value
/// percent-encoded (RFC 3986 unreserved characters kept, space as %20). When
/// `authorize_url` already has a query the parameters are appended with '&'.
std::string authorize_redirect(const oauth_config& config, const std::string& state);

struct oauth_user {
  std::int64_t id = 0;
  std::string login;
  std::string name;        // "" when the provider sends null or nothing
  std::string avatar_url;  // ditto
  std::string email;       // ditto (GitHub sends null for private addresses)
};

struct oauth_outcome {
  std::optional<oauth_user> user;  // set on success
  std::string error;               // "" on success; never contains the token or secret
};

/// Exchanges `code` at token_url (POST, form-encoded, Accept: application/json), then GETs
/// user_url with `Authorization: Bearer <token>`. `timeout` bounds both calls together.
/// Never throws.
oauth_outcome exchange_and_fetch(const oauth_config& config, const std::string& code,
                                 std::chrono::milliseconds timeout);

/// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view text);

}  // namespace relay::auth
