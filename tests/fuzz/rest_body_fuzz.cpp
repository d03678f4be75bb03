// The REST request bodies (protocol json_codec, room_codec, admin_codec,
// hall_codec): every decoder a route hands a request body to, all run on each input.
// Checked: a refusal has a code whose HTTP status is one Relay documents and an answer
// body that is valid UTF-8 JSON; an accepted body keeps the limits its decoder states
// (lengths in characters, array sizes, accent colors re-serialized as a JSON array of
// short strings, one of login/email on a whitelist entry, hall roles and sizes).

#include <boost/json.hpp>

#include <set>
#include <variant>

#include "core/error.hpp"
#include "core/text.hpp"
#include "protocol/admin_codec.hpp"
#include "protocol/hall_codec.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/room_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace codec = relay::codec;
namespace json = boost::json;
using relay::utf8_length;
using relay::valid_utf8;

namespace {

bool documented_status(int s) {
  for (int ok : {400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503})
    if (s == ok) return true;
  return false;
}

// The refusals whose answer body was checked. The body is a function of the code and the
// message alone, and the decoders' messages come from a small fixed set (field names are
// the code's, never the input's), while nearly every input is refused by most of the
// twenty decoders: encoding and re-parsing each refusal's body was a third of a run.
// Bounded all the same, in case a message ever carries input.
struct by_code_then_message {
  bool operator()(const relay::error_info& a, const relay::error_info& b) const {
    return a.code != b.code ? a.code < b.code : a.message < b.message;
  }
};
std::set<relay::error_info, by_code_then_message>& checked_refusals() {
  static std::set<relay::error_info, by_code_then_message> seen;
  return seen;
}

// Runs `check_ok` on the body or checks the refusal.
template <class T, class F>
void expect(const std::variant<T, relay::error_info>& r, F check_ok) {
  if (auto* e = std::get_if<relay::error_info>(&r)) {
    FUZZ_CHECK(e->code != relay::errc::none && !e->message.empty());
    FUZZ_CHECK(documented_status(relay::http_status(e->code)));
    auto& seen = checked_refusals();
    if (seen.count(*e) > 0) return;
    auto body = codec::encode_error_body(*e);
    FUZZ_CHECK(valid_utf8(body));
    boost::system::error_code ec;
    FUZZ_CHECK(json::parse(body, ec).is_object() && !ec);
    if (seen.size() < 10'000) seen.insert(*e);
    return;
  }
  check_ok(std::get<T>(r));
}

bool trimmed(const std::string& s) {
  return relay::trim(s).size() == s.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = relay::fuzz::as_text(data, size);
  const bool utf8 = valid_utf8(text);
  auto accepted = [&] { FUZZ_CHECK(utf8); };

  // -- chat (json_codec) --------------------------------------------------------------
  expect(codec::decode_post_body(text), [&](const codec::post_body& b) {
    accepted();
    FUZZ_CHECK(b.client_msg_id.size() <= 128);
  });
  expect(codec::decode_edit_body(text), [&](const codec::edit_body&) { accepted(); });
  expect(codec::decode_channel_body(text), [&](const codec::channel_body&) { accepted(); });
  expect(codec::decode_token_body(text), [&](const codec::token_body&) { accepted(); });

  // -- rooms (room_codec) --------------------------------------------------------------
  expect(codec::decode_room_body(text), [&](const codec::room_body& b) {
    accepted();
    FUZZ_CHECK(!b.display_name.empty() && trimmed(b.display_name));
    FUZZ_CHECK(utf8_length(b.display_name) <= 80 && utf8_length(b.description) <= 1000);
    boost::system::error_code ec;
    auto colors = json::parse(b.accent_colors, ec);
    FUZZ_CHECK(!ec && colors.is_array() && colors.as_array().size() <= 8);
    for (auto& c : colors.as_array()) FUZZ_CHECK(c.is_string() && c.as_string().size() <= 32);
  });
  expect(codec::decode_room_patch(text), [&](const relay::storage::room_patch& p) {
    accepted();
    if (p.display_name) FUZZ_CHECK(!p.display_name->empty() && trimmed(*p.display_name));
    if (p.slug) FUZZ_CHECK(utf8_length(*p.slug) <= 64);
    if (p.avatar_url) FUZZ_CHECK(utf8_length(*p.avatar_url) <= 2048);
  });
  expect(codec::decode_whitelist_mode(text), [&](bool) { accepted(); });
  expect(codec::decode_typing_body(text), [&](const std::string&) { accepted(); });
  expect(codec::decode_channel_create(text), [&](const codec::channel_create_body& b) {
    accepted();
    FUZZ_CHECK(b.invite_logins.size() <= 100);
  });
  expect(codec::decode_dm_body(text), [&](const std::vector<std::string>& logins) {
    accepted();
    FUZZ_CHECK(logins.size() <= 16);
  });
  expect(codec::decode_whitelist_body(text), [&](const relay::storage::whitelist_row& w) {
    accepted();
    FUZZ_CHECK(w.login.empty() != w.email.empty());
    FUZZ_CHECK(trimmed(w.login) && trimmed(w.email));
    FUZZ_CHECK(utf8_length(w.login) <= 100 && utf8_length(w.email) <= 254 &&
               utf8_length(w.note) <= 500);
  });
  // An empty body is allowed here (a request without a note).
  expect(codec::decode_access_request_body(text),
         [&](const std::string& note) { FUZZ_CHECK(utf8 && utf8_length(note) <= 500); });
  expect(codec::decode_bot_body(text), [&](const relay::storage::bot_row& b) {
    accepted();
    FUZZ_CHECK(utf8_length(b.user.name) <= 80 && utf8_length(b.prefix) <= 32);
  });

  // -- agent relay admin (admin_codec) -------------------------------------------------
  expect(codec::admin::decode_agent_body(text), [&](const relay::storage::agent_row& a) {
    accepted();
    FUZZ_CHECK(!a.name.empty() || a.agent_id.empty());
  });
  expect(codec::admin::decode_app_body(text), [&](const relay::storage::app_row& a) {
    accepted();
    FUZZ_CHECK(!a.name.empty() || a.app_id.empty());
  });
  expect(codec::admin::decode_allowlist_body(text),
         [&](const std::vector<std::string>&) { accepted(); });

  // -- halls (hall_codec) ---------------------------------------------------------------
  expect(codec::halls::decode_create_hall(text), [&](const relay::storage::hall_row& h) {
    accepted();
    FUZZ_CHECK(!h.name.empty() && utf8_length(h.name) <= 200);
    if (h.max_participants) FUZZ_CHECK(*h.max_participants >= 1 && *h.max_participants <= 100000);
  });
  expect(codec::halls::decode_join(text), [&](const relay::storage::hall_grant_row& g) {
    accepted();
    FUZZ_CHECK(g.role == relay::storage::hall_role::publisher ||
               g.role == relay::storage::hall_role::subscriber);
    FUZZ_CHECK(!g.participant_id.empty() && utf8_length(g.participant_id) <= 256);
    FUZZ_CHECK(!g.display_name.empty() && utf8_length(g.display_name) <= 200);
  });
  return 0;
}
