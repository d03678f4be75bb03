#pragma once

#include <cstdint>
#include <string>

#include "api/request.hpp"
#include "config/options.hpp"

namespace relay {

/// Fills the identity and access part of the API context from the configuration,
/// once the listening port is known: public URL, allowed origins, cookie key, OAuth
/// provider, dev sign-in (only on loopback) and the shared send limiter. Returns an
/// error message instead when the cookie key cannot be read or created.
std::string configure_access(api_context& ctx, const config& cfg, std::uint16_t port);

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace relay
