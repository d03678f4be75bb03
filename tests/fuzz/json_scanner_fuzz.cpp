// protocol/json_detail: parse_object, the one entry of every JSON decoder
// (UTF-8 check, depth limit, error mapping), and raw_member, the hand-written scanner
// that cuts a member's text out of a frame so the agent relay can pass an app's payload
// on byte for byte. raw_member trusts that the parser accepted its input, so that is the
// one place its answers are checked: for every key of the object, and for keys it does
// not have, against what Boost.JSON parsed. Also append_string, the hand-written string
// escaper every broadcast uses, against Boost.JSON's serializer it claims to match.

#include <boost/json.hpp>

#include <string>
#include <variant>

#include "core/text.hpp"
#include "protocol/json_detail.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace detail = relay::codec::detail;
namespace json = boost::json;

namespace {

// Every member of `o` is found with the value the parser kept for it; members of nested
// objects are checked the same way on their own text, as raw_member would see a
// payload passed on to it.
void check_members(std::string_view text, const json::object& o, int depth) {
  for (auto& kv : o) {
    auto raw = detail::raw_member(text, kv.key());
    FUZZ_CHECK(raw.has_value());
    FUZZ_CHECK(raw->data() >= text.data() &&
               raw->data() + raw->size() <= text.data() + text.size());
    boost::system::error_code ec;
    auto v = json::parse(*raw, ec);
    FUZZ_CHECK(!ec);
    FUZZ_CHECK(v == kv.value());
    if (depth < 4 && v.is_object()) check_members(*raw, v.as_object(), depth + 1);
  }
  // A key the object does not have is not found, even as a prefix or a nested key.
  for (std::string_view absent : {"", "payload", "type", "a", "\"", "\\"})
    if (!o.contains(absent)) FUZZ_CHECK(!detail::raw_member(text, absent).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = relay::fuzz::as_text(data, size);

  auto parsed = detail::parse_object(text);
  if (auto* o = std::get_if<json::object>(&parsed)) {
    FUZZ_CHECK(relay::valid_utf8(text));
    check_members(text, *o, 0);
  } else {
    auto& e = std::get<relay::error_info>(parsed);
    FUZZ_CHECK(e.code == relay::errc::bad_request || e.code == relay::errc::invalid_utf8);
    FUZZ_CHECK(relay::valid_utf8(text) == (e.code != relay::errc::invalid_utf8));
  }

  // The escaper: same bytes as Boost.JSON's serializer for any valid UTF-8 string (the
  // encoders only see strings that came through a decoder), and it reads back as itself.
  if (relay::valid_utf8(text)) {
    std::string mine;
    detail::append_string(mine, text);
    FUZZ_CHECK(mine == json::serialize(json::string_view(text)));
    boost::system::error_code ec;
    auto back = json::parse(mine, ec);
    FUZZ_CHECK(!ec && back.is_string() && back.as_string() == text);
  }
  return 0;
}
