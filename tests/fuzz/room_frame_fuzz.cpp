// protocol/json_codec: what a chat client sends on its room socket
// (decode_client_frame) and the `resume` it puts in the socket's URL (parse_resume, one
// `<channelKey>:<seq>` per channel, split by split_event_id). The input is one text
// frame; the same bytes are also tried as a resume list.
// Checked: a frame decodes to exactly one of the documented shapes; every refusal
// carries an error code and its answer (encode_error_frame, echoing the client's id) is
// valid UTF-8 JSON; a resume list that parses re-encodes to entries that parse back to
// the same map.

#include <boost/json.hpp>

#include <variant>

#include "core/error.hpp"
#include "core/stream_cursors.hpp"
#include "core/text.hpp"
#include "protocol/json_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace codec = relay::codec;

namespace {

// A frame the server writes must be a JSON object and valid UTF-8.
void check_answer(const std::string& text) {
  FUZZ_CHECK(relay::valid_utf8(text));
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  FUZZ_CHECK(!ec && v.is_object());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = relay::fuzz::as_text(data, size);

  const auto frame = codec::decode_client_frame(text);
  if (auto* s = std::get_if<codec::client_send>(&frame)) {
    FUZZ_CHECK(relay::valid_utf8(text));
    FUZZ_CHECK(!s->client_msg_id.empty() && s->client_msg_id.size() <= 128);
    FUZZ_CHECK(relay::valid_utf8(s->content) && relay::valid_utf8(s->channel_id));
  } else if (auto* bad = std::get_if<codec::client_bad>(&frame)) {
    FUZZ_CHECK(bad->error.code != relay::errc::none);
    FUZZ_CHECK(!bad->error.message.empty());
    check_answer(codec::encode_error_frame(bad->error, bad->client_msg_id));
  } else if (auto* t = std::get_if<codec::client_typing>(&frame)) {
    FUZZ_CHECK(relay::valid_utf8(t->channel_id));
  }

  if (auto resume = codec::parse_resume(text)) {
    std::string again;
    for (auto& [channel, seq] : *resume) {
      FUZZ_CHECK(seq >= 0);
      if (!again.empty()) again += ',';
      again += codec::event_id(channel, seq);
    }
    auto back = codec::parse_resume(again);
    FUZZ_CHECK(back && *back == *resume);
  }
  if (auto id = relay::split_event_id(text)) {
    FUZZ_CHECK(id->second >= 0 && !id->first.empty());
    FUZZ_CHECK(id->first.data() == text.data() && id->first.size() < text.size());
  }
  return 0;
}
