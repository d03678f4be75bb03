// protocol/agent_codec and mention_codec: the text frames of the agent relay.
// Apps send decode_app_frame's frames on /v1/ws/app, agents decode_agent_frame's on
// /v1/ws/agent, and a room reads the relay's answers back with decode_relay_frame. The
// input is one text frame, decoded by all three; the app decoder runs with the default
// payload cap and with a cap of 16 bytes, so PAYLOAD_TOO_LARGE is reached by short input.
// Checked: an accepted event's payload is the app's own bytes (a slice of the frame that
// parses to the same object the parser saw, within the cap); ids keep their limits;
// every refusal has a contract code and its answer to the peer is valid UTF-8 JSON.

#include <boost/json.hpp>

#include <variant>

#include "core/text.hpp"
#include "protocol/agent_codec.hpp"
#include "protocol/mention_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace agents = relay::codec::agents;
namespace json = boost::json;

namespace {

// Frames may nest as deep as the codec allows, past Boost.JSON's default of 32.
json::parse_options deep() {
  json::parse_options o;
  o.max_depth = agents::max_frame_depth;
  return o;
}

void check_answer(const std::string& text) {
  FUZZ_CHECK(relay::valid_utf8(text));
  boost::system::error_code ec;
  auto v = json::parse(text, ec, {}, deep());
  FUZZ_CHECK(!ec && v.is_object());
}

void check_error(const agents::frame_error& e) {
  FUZZ_CHECK(e.code == agents::code_invalid_event || e.code == agents::code_payload_too_large);
  FUZZ_CHECK(agents::is_contract_code(e.code));
  FUZZ_CHECK(!e.message.empty());
  check_answer(agents::encode_app_error(e.event_id, "", e.message, e.code));
}

void check_app(std::string_view text, std::size_t cap) {
  auto frame = agents::decode_app_frame(text, cap);
  if (auto* e = std::get_if<agents::frame_error>(&frame)) return check_error(*e);
  FUZZ_CHECK(relay::valid_utf8(text));
  if (auto* ev = std::get_if<agents::app_event>(&frame)) {
    FUZZ_CHECK(!ev->agent_id.empty() &&
               relay::utf8_length(ev->agent_id) <= agents::max_agent_id_chars);
    FUZZ_CHECK(!ev->thread_id.empty() &&
               relay::utf8_length(ev->thread_id) <= agents::max_thread_id_chars);
    FUZZ_CHECK(ev->payload.size() <= cap);
    // Byte for byte what the app sent: found in the frame, and the same object the
    // parser read for the last "payload" key.
    FUZZ_CHECK(text.find(ev->payload) != std::string_view::npos);
    boost::system::error_code ec;
    auto whole = json::parse(text, ec, {}, deep());
    FUZZ_CHECK(!ec);
    auto mine = json::parse(ev->payload, ec, {}, deep());
    FUZZ_CHECK(!ec && mine.is_object());
    FUZZ_CHECK(mine == whole.as_object().at("payload"));
    // What the agent is handed (the payload spliced into the event) is valid JSON too.
    check_answer(agents::encode_agent_event("ev_1", "app", ev->thread_id, "sk", ev->payload));
  } else if (auto* r = std::get_if<agents::app_resume>(&frame)) {
    FUZZ_CHECK(!r->event_id.empty() && r->after_seq >= 0);
  } else if (auto* c = std::get_if<agents::app_cancel>(&frame)) {
    FUZZ_CHECK(!c->event_id.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = relay::fuzz::as_text(data, size);
  check_app(text, agents::default_max_payload_bytes);
  check_app(text, 16);

  auto frame = agents::decode_agent_frame(text);
  if (auto* e = std::get_if<agents::frame_error>(&frame)) {
    check_error(*e);
  } else if (auto* r = std::get_if<agents::agent_reply>(&frame)) {
    FUZZ_CHECK(!r->event_id.empty());
    if (r->metadata.tokens_used) FUZZ_CHECK(*r->metadata.tokens_used >= 0);
    if (r->metadata.latency_ms) FUZZ_CHECK(*r->metadata.latency_ms >= 0);
    // The reply as the app receives it, with the payload it sent.
    check_answer(
        agents::encode_reply(r->event_id, "a", "t", r->content, R"({"k":1})",
                             {r->metadata.tokens_used.value_or(0), r->metadata.model.value_or(""),
                              r->metadata.latency_ms.value_or(0), "sk"}));
  } else if (auto* t = std::get_if<agents::agent_token>(&frame)) {
    FUZZ_CHECK(!t->event_id.empty());
    // The token as the relay forwards it, read back the way a room reads it.
    auto forwarded = agents::encode_app_token(t->event_id, "a", t->token, 7);
    check_answer(forwarded);
    auto back = relay::codec::mentions::decode_relay_frame(forwarded);
    FUZZ_CHECK(back.type == "token" && back.event_id == t->event_id && back.text == t->token &&
               back.seq == 7);
  } else if (auto* err = std::get_if<agents::agent_error>(&frame)) {
    FUZZ_CHECK(!err->event_id.empty() && !err->code.empty());
  }

  // A room reads whatever an app-facing frame says; it must never fail on any bytes.
  (void)relay::codec::mentions::decode_relay_frame(text);
  return 0;
}
