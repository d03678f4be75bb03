// The `Cookie` header (protocol/http_reader cookie_value) and what Relay does with
// the value it finds: the session and OAuth-state cookies are checked with auth::verify
// and looked up by sha256_hex. The input is a Cookie header as a client sends it.
// Checked: a value found is a slice of the header that holds no ';' and follows
// `name=`; a cookie Relay set comes back intact whatever other cookies surround it (the
// header rebuilt around the value the input names); a forged session never verifies.

#include <string>

#include "auth/signing.hpp"
#include "core/ids.hpp"
#include "protocol/http_reader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace http_in = relay::http_in;

namespace {

constexpr std::string_view key = "fuzz-cookie-secret";

void check_found(std::string_view header, std::string_view name) {
  auto v = http_in::cookie_value(header, name);
  if (!v) return;
  FUZZ_CHECK(v->data() >= header.data() && v->data() + v->size() <= header.data() + header.size());
  FUZZ_CHECK(v->find(';') == std::string_view::npos);
  const auto at = static_cast<std::size_t>(v->data() - header.data());
  FUZZ_CHECK(at >= name.size() + 1 && header[at - 1] == '=' &&
             header.substr(at - 1 - name.size(), name.size()) == name);
  if (auto raw = relay::auth::verify(key, *v)) FUZZ_CHECK(relay::auth::sign(key, *raw) == *v);
  FUZZ_CHECK(relay::sha256_hex(*v).size() == 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto header = relay::fuzz::as_text(data, size);
  check_found(header, "relay_session");
  check_found(header, "relay_oauth");

  // A session cookie Relay signed, placed among the client's other cookies: the part of
  // the input before the first ';' stands in for the others, the rest is the raw value.
  const auto semi = header.find(';');
  auto others = header.substr(0, semi);
  std::string raw(semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1));
  for (auto& c : raw)
    if (c == ';') c = '_';  // Relay's raw values never hold one (rls_ + hex, state|time|path)
  const auto cookie = relay::auth::sign(key, raw);
  // Ahead of ours, another cookie named relay_session would be found first (RFC 6265
  // leaves the order to the client); any other cookie must not get in the way.
  auto first = others;
  while (!first.empty() && (first.front() == ' ' || first.front() == '\t')) first.remove_prefix(1);
  const bool clash = first.substr(0, first.find('=')) == "relay_session" &&
                     first.find('=') != std::string_view::npos;
  const std::string after = std::string(others) + "; relay_session=" + cookie;
  const std::string before = "relay_session=" + cookie + "; " + std::string(others);
  for (const std::string* h : {&after, &before}) {
    auto v = http_in::cookie_value(*h, "relay_session");
    FUZZ_CHECK(v.has_value());
    if (h == &after && clash) continue;
    FUZZ_CHECK(*v == cookie);
    auto back = relay::auth::verify(key, *v);
    FUZZ_CHECK(back && *back == raw);
  }
  return 0;
}
